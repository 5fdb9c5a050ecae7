package runner

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/runner/results"
)

// TestPacersBeganByTheClock: when an attack began is the clock's now less
// the elapsed time vegeta reports, for both models (no wall time read).
func TestPacersBeganByTheClock(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	sched := newSchedule([]stageLevel{{dur: time.Minute, from: 10, to: 10}})
	op := newOpenPacer(sched, now)
	op.Pace(3*time.Second, 0)
	op.Pace(5*time.Second, 1) // the first call fixes it
	if got := *op.began.Load(); !got.Equal(at.Add(-3 * time.Second)) {
		t.Errorf("open pacer began %v, want %v", got, at.Add(-3*time.Second))
	}
	up := newUserPacer(sched, 10, 0, nil, clock{now: now})
	up.Pace(2*time.Second, 0)
	if got := *up.began.Load(); !got.Equal(at.Add(-2 * time.Second)) {
		t.Errorf("user pacer began %v, want %v", got, at.Add(-2*time.Second))
	}
}

// TestIntervalsFollowTheTicker: the recorder closes an interval when the
// clock's ticker ticks, not when the wall clock says a second has passed: a
// ticker that never ticks leaves one interval, closed at the end, holding
// every request, and the logs agree with run.json.
func TestIntervalsFollowTheTicker(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := okServer(t, &hits)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 1500ms, rate: 20/s}]\nrequests: [{name: a, path: /a}]\n")
	var stopped atomic.Bool
	never := clock{now: time.Now, ticker: func(time.Duration) (<-chan time.Time, func()) {
		return make(chan time.Time), func() { stopped.Store(true) }
	}}
	run, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()), withClock(never))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	tl, err := results.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Points) != 1 || run.Overall.Requests != 30 || hits.Load() != 30 {
		t.Errorf("%d timeline points, %d requests recorded, %d served; want 1 point holding all 30", len(tl.Points), run.Overall.Requests, hits.Load())
	}
	if !stopped.Load() {
		t.Error("the ticker was not stopped")
	}
}

// TestStartAtWaitsOnTheClock: the wait for the common start is how far the
// clock's now is from it, on the clock's timer: a start 5 s ahead of the
// clock asks the timer for 5 s and returns when it fires; one 2 s behind is
// 2 s late with no timer; a cancel while the timer holds ends the wait with
// an error. Run waits on the clock it is given. No wall time is read.
func TestStartAtWaitsOnTheClock(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var asked []time.Duration
	var fire chan time.Time
	stopped := 0
	clk := clock{now: func() time.Time { return at }, after: func(d time.Duration) (<-chan time.Time, func()) {
		asked = append(asked, d)
		return fire, func() { stopped++ }
	}}

	fire = make(chan time.Time, 1)
	fire <- at.Add(5 * time.Second)
	var progress strings.Builder
	late, err := waitUntil(context.Background(), clk, at.Add(5*time.Second), &progress)
	if err != nil || late != 0 {
		t.Errorf("start 5 s ahead: late %v, %v", late, err)
	}
	if len(asked) != 1 || asked[0] != 5*time.Second || stopped != 1 {
		t.Errorf("the timer was asked for %v and stopped %d times; want [5s], once", asked, stopped)
	}
	if want := "waiting 5s for the common start at 2026-11-30T12:00:05Z\n"; progress.String() != want {
		t.Errorf("progress %q, want %q", progress.String(), want)
	}

	late, err = waitUntil(context.Background(), clk, at.Add(-2*time.Second), nil)
	if err != nil || late != 2*time.Second || len(asked) != 1 {
		t.Errorf("start 2 s behind: late %v, %v, timer asked %v", late, err, asked)
	}

	fire = make(chan time.Time) // never fires
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := waitUntil(ctx, clk, at.Add(time.Hour), nil); err == nil || !strings.Contains(err.Error(), "waiting for the common start at 2026-11-30T13:00:00Z") {
		t.Errorf("a cancelled wait: %v", err)
	}
	if len(asked) != 2 || asked[1] != time.Hour || stopped != 2 {
		t.Errorf("the timer was asked for %v and stopped %d times; want [5s 1h], twice", asked, stopped)
	}

	// Run: a start the wall clock has long passed is 3 s ahead of the
	// clock Run is given, so Run waits for it on that clock's timer (which
	// cancels the run instead of firing: nothing is sent).
	var hits atomic.Int64
	srv := okServer(t, &hits)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 1s, rate: 20/s}]\nrequests: [{name: a, path: /a}]\n")
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var runAsked atomic.Int64
	runClk := clock{now: func() time.Time { return at }, ticker: func(time.Duration) (<-chan time.Time, func()) {
		return make(chan time.Time), func() {}
	}, after: func(d time.Duration) (<-chan time.Time, func()) {
		runAsked.Store(int64(d))
		cancel()
		return make(chan time.Time), func() {}
	}}
	root := t.TempDir()
	_, _, err = Run(ctx, sc, WithResultsRoot(root), WithStartAt(at.Add(3*time.Second)), withClock(runClk))
	if err == nil || !strings.Contains(err.Error(), "waiting for the common start") {
		t.Errorf("Run on a clock 3 s before the start: %v", err)
	}
	if got := time.Duration(runAsked.Load()); got != 3*time.Second || hits.Load() != 0 {
		t.Errorf("Run asked its clock's timer for %v and sent %d requests; want 3s and none", got, hits.Load())
	}
}

// TestFlowStepsTimedByTheClock: the flow engine's times (since it began)
// are the runner's clock's: a clock that moves 100 ms each time it is read
// makes a step sent at 100 ms and ended at 200 ms, its timestamp the
// clock's, and a wait for a moment the clock has passed returns at once
// (no timer). The engine's start is 12:00 on a past day, so the wall clock
// would say hours. No wall time is read for the step's times.
func TestFlowStepsTimedByTheClock(t *testing.T) {
	t.Parallel()
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 1s, rate: 1/s}]\nflows:\n  - name: buyer\n    steps:\n      - {name: a, path: /a}\n")
	set, err := newFlowSet(sc)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var reads atomic.Int64
	now := func() time.Time { return at.Add(time.Duration(reads.Add(1)) * 100 * time.Millisecond) }
	e := &flowEngine{set: set, ctx: context.Background(), clock: clock{now: now}, began: at}
	for range set.limits {
		e.clients = append(e.clients, srv.Client())
	}
	w := newWorker(e)
	f := set.flows[0]
	if err := w.draw(f); err != nil {
		t.Fatal(err)
	}
	var ev flowEvent
	end, sent := w.step(f, &f.steps[0], 50*time.Millisecond, &ev)
	if ev.kind != kindOK || sent != 100*time.Millisecond || end != 200*time.Millisecond {
		t.Errorf("step %v: sent at %v, ended at %v; want ok, 100ms, 200ms", ev.kind, sent, end)
	}
	if ev.res.Latency != 100*time.Millisecond || !ev.res.Timestamp.Equal(at.Add(100*time.Millisecond)) || ev.intended != 50*time.Millisecond {
		t.Errorf("service time %v, timestamp %v, due %v", ev.res.Latency, ev.res.Timestamp, ev.intended)
	}
	if got := e.since(); got != 300*time.Millisecond {
		t.Errorf("since %v after the clock's third read, want 300ms", got)
	}
	// The clock reads 400 ms: a pause until 250 ms is over, so no timer.
	if !w.sleepUntil(250*time.Millisecond) || w.timer != nil {
		t.Errorf("a pause the clock has passed waited (timer %v)", w.timer)
	}
}

// TestRunTimedByTheClock: when a run started and ended (run.json, its id,
// the latency log's start) is the runner's clock's: a clock 1000 hours
// behind the wall clock, ticking at its pace with its timers, makes a run
// that started and ended 1000 hours ago. The scenario has flows, so every
// time of the run is on that clock (vegeta would time its requests on the
// wall clock).
func TestRunTimedByTheClock(t *testing.T) {
	t.Parallel()
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 500ms, rate: 10/s}]\nflows:\n  - name: buyer\n    steps:\n      - {name: a, path: /a}\n")
	const back = 1000 * time.Hour
	clk := wallClock()
	clk.now = func() time.Time { return time.Now().Add(-back) }
	before := time.Now().Add(-back)
	run, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()), withClock(clk))
	after := time.Now().Add(-back)
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	if run.Started.Before(before.Truncate(time.Second)) || run.Ended.Before(run.Started) || run.Ended.After(after) {
		t.Errorf("started %v, ended %v; want both between %v and %v", run.Started, run.Ended, before, after)
	}
	if want := results.DirTime(run.Started) + "-test"; run.ID != want {
		t.Errorf("run id %s, want %s", run.ID, want)
	}
	if run.Overall.Requests != 5 || run.Overall.Successes != 5 {
		t.Errorf("%d requests, %d successes; want 5 and 5", run.Overall.Requests, run.Overall.Successes)
	}
	// The last interval closes at the attack's end on the clock: the run's
	// one point holds the 5 requests of an interval under an hour long, not
	// 1000 hours.
	if tl := readTimeline(t, dir); len(tl) != 1 || tl[0].Requests != 5 || tl[0].AchievedRate < 5.0/3600 {
		t.Errorf("timeline %+v, want one point of 5 requests", tl)
	}
}

// TestWallTimerReusedWithoutAllocating: a wall-clock timer set again and
// stopped, as the pacers and flow workers do before every wait, allocates
// nothing through the timer interface.
func TestWallTimerReusedWithoutAllocating(t *testing.T) {
	tm := wallClock().timer(time.Hour)
	defer tm.Stop()
	if n := testing.AllocsPerRun(100, func() {
		tm.Reset(time.Hour)
		select {
		case <-tm.C():
		default:
		}
		tm.Stop()
	}); n != 0 {
		t.Errorf("a timer's reuse allocates %.1f times", n)
	}
}
