package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/runner/results"
)

// TestClosedModelRamp checks that users ramp up: fewer requests in the
// first second (0 -> 4 users) than in the last (4 users).
func TestClosedModelRamp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, `load:
  model: closed
  think_time: 40ms
  stages:
    - {duration: 2s, users: 0 -> 4}
    - {duration: 1s, users: 4}
requests: [{name: a, path: /}]
`)
	_, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	tl := readTimeline(t, dir)
	if len(tl) < 3 || tl[0].Requests >= tl[2].Requests {
		t.Errorf("requests per second %v: want a ramp", requestsPerPoint(tl))
	}
	if tl[2].TargetRate != 4 {
		t.Errorf("target users in the last second %v, want 4", tl[2].TargetRate)
	}
}

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
	run, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
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

func readTimeline(t *testing.T, dir string) []results.Point {
	t.Helper()
	tl, err := results.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tl.Points
}

func requestsPerPoint(points []results.Point) []int64 {
	var out []int64
	for _, p := range points {
		out = append(out, p.Requests)
	}
	return out
}
