package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

// TestClosedModelRamp checks that users ramp up in a real run: fewer
// requests in the first interval (0 -> 4 users) than in the last (4
// users), whose level is 4 users. The ramp's timing is TestUserPacerOnTheClock's;
// this run is short, its intervals a fifth of a second.
func TestClosedModelRamp(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond) // the target's speed
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, `load:
  model: closed
  think_time: 40ms
  stages:
    - {duration: 600ms, users: 0 -> 4}
    - {duration: 400ms, users: 4}
requests: [{name: a, path: /}]
`)
	_, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()), withInterval(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	tl := readTimeline(t, dir)
	if len(tl) < 5 {
		t.Fatalf("%d intervals, want 5 of 200 ms", len(tl))
	}
	// The busiest interval, not the last: an interval that closes late
	// (a tick the busy loop took late) leaves the next one nearly empty.
	peak := slices.Max(requestsPerPoint(tl[1:]))
	if tl[0].Requests >= peak {
		t.Errorf("requests per interval %v: want a ramp, fewer in the first than in the busiest", requestsPerPoint(tl))
	}
	if tl[4].TargetRate != 4 {
		t.Errorf("target users in the last interval %v, want 4", tl[4].TargetRate)
	}
}

// withInterval sets the length of the recorder's intervals (default a
// second), so that a short run still has a few.
func withInterval(d time.Duration) Option { return func(c *config) { c.interval = d } }

// TestClosedModelNoThinkTime: without think time the users still bound the
// requests in flight, below the peak (where Pace waits for a free user) and
// at it (where vegeta's worker cap does).
func TestClosedModelNoThinkTime(t *testing.T) {
	var inFlight, peakEarly, peakAll atomic.Int64
	var first atomic.Pointer[time.Time]
	raise := func(p *atomic.Int64, n int64) {
		for v := p.Load(); n > v && !p.CompareAndSwap(v, n); v = p.Load() {
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		now := time.Now()
		first.CompareAndSwap(nil, &now)
		n := inFlight.Add(1)
		raise(&peakAll, n)
		if now.Sub(*first.Load()) < 800*time.Millisecond {
			raise(&peakEarly, n)
		}
		time.Sleep(2 * time.Millisecond)
		inFlight.Add(-1)
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, `load:
  model: closed
  stages:
    - {duration: 1s, users: 2}
    - {duration: 1s, users: 5}
requests: [{name: a, path: /}]
`)
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	if peakEarly.Load() > 2 || peakAll.Load() > 5 {
		t.Errorf("%d requests in flight with 2 users, %d with 5", peakEarly.Load(), peakAll.Load())
	}
	if peakAll.Load() < 3 || run.Overall.Requests < 100 {
		t.Errorf("peak %d in flight, %d requests: the users did not keep the server busy", peakAll.Load(), run.Overall.Requests)
	}
}

func readTimeline(t *testing.T, dir string) []record.Point {
	t.Helper()
	tl, err := record.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tl.Points
}

func requestsPerPoint(points []record.Point) []int64 {
	var out []int64
	for _, p := range points {
		out = append(out, p.Requests)
	}
	return out
}

// TestUserPacerOnTheClock: the closed model's users follow the ramp on the
// runner's clock, and a user who has thought is free when the clock says
// so. With users 0 -> 2 over 2 s and 500 ms of think time, Pace hands out
// the first user when the clock reaches 1 s, not at 990 ms; that user,
// back at 1 s, is free again at 1.5 s, not at 1.49 s. The clock moves only
// when the test moves it, so a pacer that polls or thinks on the wall clock
// never gets there.
func TestUserPacerOnTheClock(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	fc := newFakeClock(t0)
	sched := newSchedule([]stageLevel{{dur: 2 * time.Second, from: 0, to: 2}, {dur: time.Minute, from: 2, to: 2}})
	done := make(chan struct{})
	defer close(done)
	p := newUserPacer(sched, 2, 500*time.Millisecond, done, fc.clock())
	type paced struct {
		wait time.Duration
		stop bool
	}
	res := make(chan paced, 1)
	pace := func(elapsed time.Duration, hits uint64) {
		go func() {
			w, stop := p.Pace(elapsed, hits)
			res <- paced{w, stop}
		}()
	}
	notYet := func(when string) {
		t.Helper()
		select {
		case r := <-res:
			t.Fatalf("Pace returned %+v at %s", r, when)
		default:
		}
	}

	pace(0, 0)
	fc.armed(t, t0.Add(10*time.Millisecond)) // no user yet: Pace polls
	fc.advance(990 * time.Millisecond)
	fc.armed(t, t0.Add(time.Second)) // still none at 990 ms: it polls again
	notYet("990ms")
	fc.advance(10 * time.Millisecond)
	if r := <-res; r != (paced{}) {
		t.Fatalf("the first user at 1s: %+v", r)
	}

	// The user's response is back at 1 s; it thinks until 1.5 s. The second
	// user is due at 2 s.
	pace(time.Second, 1)
	fc.armed(t, t0.Add(1010*time.Millisecond))
	p.finished(fc.now())
	fc.armed(t, t0.Add(1500*time.Millisecond))
	fc.advance(480 * time.Millisecond)
	fc.armed(t, t0.Add(1490*time.Millisecond))
	notYet("1.48s")
	fc.advance(20 * time.Millisecond)
	if r := <-res; r != (paced{}) {
		t.Fatalf("the user free again at 1.5s: %+v", r)
	}
	if got := *p.began.Load(); !got.Equal(t0) {
		t.Errorf("began %v, want %v", got, t0)
	}
}
