package runner

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
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
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()), withClock(never))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	tl, err := record.ReadTimeline(dir)
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
// 2 s late with no timer; a cancel while the timer holds (an hour ahead, the
// first minute of the countdown) ends the wait with an error. Run waits on the clock it is given. No wall time is read.
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
	if len(asked) != 2 || asked[1] != time.Minute || stopped != 2 {
		t.Errorf("the timer was asked for %v and stopped %d times; want [5s 1m0s] (the hour's first minute, counted down), twice", asked, stopped)
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
	_, _, err = runWritten(ctx, sc, WithResultsRoot(root), WithStartAt(at.Add(3*time.Second)), withClock(runClk))
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
	w.step(f, &f.steps[0], 50*time.Millisecond, &ev)
	if ev.res.kind != kindOK || ev.res.sent != 100*time.Millisecond || ev.res.end != 200*time.Millisecond {
		t.Errorf("step %v: sent at %v, ended at %v; want ok, 100ms, 200ms", ev.res.kind, ev.res.sent, ev.res.end)
	}
	if ev.res.service() != 100*time.Millisecond || ev.res.intended != 50*time.Millisecond {
		t.Errorf("service time %v, due %v", ev.res.service(), ev.res.intended)
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
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()), withClock(clk))
	after := time.Now().Add(-back)
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	if run.Started.Before(before.Truncate(time.Second)) || run.Ended.Before(run.Started) || run.Ended.After(after) {
		t.Errorf("started %v, ended %v; want both between %v and %v", run.Started, run.Ended, before, after)
	}
	if want := record.DirTime(run.Started) + "-test"; run.ID != want {
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

// TestFlowEngineWaitsOnTheClock: the flow engine waits on the runner's
// clock: at 2/s the open model starts its second iteration when the clock
// reaches 500 ms, and a step's 300 ms think time holds the next step until
// the clock has passed it; every step is due, and sent, at the clock's
// time. The clock moves only when the test moves it, so an engine that
// waits on the wall clock never gets past the first step.
func TestFlowEngineWaitsOnTheClock(t *testing.T) {
	t.Parallel()
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 1s, rate: 2/s}]\nflows:\n  - name: buyer\n    steps:\n      - {name: a, path: /a, think: 300ms}\n      - {name: b, path: /b}\n")
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	fc := newFakeClock(t0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := flowEngineOnClock(t, ctx, sc, srv, fc, t0)
	set := e.set
	go e.run()
	// expect takes the next event: a step (or with iter, an iteration's
	// end) due at due, sent at sent, both since t0.
	expect := func(name string, due, sent time.Duration) {
		t.Helper()
		var ev flowEvent
		select {
		case ev = <-e.events:
		case <-time.After(10 * time.Second): // a failsafe, not a wait
			t.Fatalf("no event %s", name)
		}
		if got := set.names[ev.endpoint]; got != name || ev.res.kind != kindOK || ev.res.intended != due || ev.res.sent != sent {
			t.Fatalf("event %s (%v) due %v sent %v; want %s due %v sent %v", got, ev.res.kind, ev.res.intended, ev.res.sent, name, due, sent)
		}
	}
	ms := time.Millisecond
	expect("buyer.a", 0, 0)
	fc.armed(t, t0.Add(300*ms)) // b waits for a's think time
	fc.armed(t, t0.Add(500*ms)) // the second iteration for its arrival
	if n := e.active.Load(); n != 1 {
		t.Fatalf("%d iterations under way before the clock reached 500 ms, want 1", n)
	}
	fc.advance(299 * ms)
	select {
	case ev := <-e.events:
		t.Fatalf("an event before the clock reached 300 ms: %s", set.names[ev.endpoint])
	default:
	}
	fc.advance(ms)
	expect("buyer.b", 300*ms, 300*ms)
	expect("buyer.iteration", 0, 0)
	fc.advance(200 * ms)
	expect("buyer.a", 500*ms, 500*ms)
	fc.armed(t, t0.Add(800*ms))
	fc.advance(300 * ms)
	expect("buyer.b", 800*ms, 800*ms)
	expect("buyer.iteration", 500*ms, 500*ms)
	if _, open := <-e.events; open {
		t.Error("the engine went on after the schedule's two iterations")
	}
}

// TestClosedFlowsFollowTheClock: in the closed model the flow engine looks
// at the user ramp on the runner's clock: with users 0 -> 2 over 2 s, the
// first user starts its iteration when the clock reaches 1 s, due then.
func TestClosedFlowsFollowTheClock(t *testing.T) {
	t.Parallel()
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, "load:\n  model: closed\n  think_time: 1h\n  stages: [{duration: 2s, users: 0 -> 2}]\nflows:\n  - name: buyer\n    steps:\n      - {name: a, path: /a}\n")
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	fc := newFakeClock(t0)
	ctx, cancel := context.WithCancel(context.Background())
	e := flowEngineOnClock(t, ctx, sc, srv, fc, t0)
	set := e.set
	go e.run()
	fc.armed(t, t0.Add(closedPoll)) // the ramp's poll
	fc.advance(990 * time.Millisecond)
	fc.armed(t, t0.Add(time.Second)) // the poll ticks on: no user yet at 990 ms
	if n := e.active.Load(); n != 0 {
		t.Fatalf("%d iterations under way at 990 ms, want none", n)
	}
	fc.advance(10 * time.Millisecond)
	ev := <-e.events
	if set.names[ev.endpoint] != "buyer.a" || ev.res.intended != time.Second || ev.res.sent != time.Second {
		t.Errorf("first event %s due %v sent %v, want buyer.a due and sent at 1s", set.names[ev.endpoint], ev.res.intended, ev.res.sent)
	}
	<-e.events // the iteration's end; the user thinks for an hour
	cancel()
	for range e.events {
	}
}

// flowEngineOnClock is the flow engine of sc (its stages, model and think
// time, 4 workers) sending to srv, on fc's clock, begun at t0, not yet
// running.
func flowEngineOnClock(t *testing.T, ctx context.Context, sc *scenarios.Scenario, srv *httptest.Server, fc *fakeClock, t0 time.Time) *flowEngine {
	t.Helper()
	set, err := newFlowSet(sc)
	if err != nil {
		t.Fatal(err)
	}
	sched := newSchedule(stageLevels(sc))
	e := &flowEngine{set: set, sched: sched, closed: sc.Load.Model == scenarios.ModelClosed, think: sc.Load.ThinkTime,
		workers: 4, events: make(chan flowEvent), ctx: ctx, clock: fc.clock(), began: t0, last: sched.end + scheduleGrace}
	for range set.limits {
		e.clients = append(e.clients, srv.Client())
	}
	return e
}

// TestStartAtCountdown: a wait for the common start was one silent timer,
// however long; it says how long is left every hour while over an hour
// away, every minute in the last hour, and 10 s before the start, each wait
// on the runner's clock.
func TestStartAtCountdown(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	start := at.Add(2*time.Hour + 2*time.Minute + 5*time.Second)
	fc := newFakeClock(at)
	var progress strings.Builder
	type result struct {
		late time.Duration
		err  error
	}
	done := make(chan result, 1)
	go func() {
		late, err := waitUntil(context.Background(), fc.clock(), start, &progress)
		done <- result{late, err}
	}()
	// 2m5s to the first whole hour, an hour, 59 minutes one by one, 50 s
	// to the last 10 s, then those.
	var waits []time.Duration
	for range 63 {
		fc.waiting(t, 1)
		asked := fc.takeAsked()
		if len(asked) != 1 {
			t.Fatalf("asked %v, want one wait at a time", asked)
		}
		waits = append(waits, asked[0])
		fc.advance(asked[0])
	}
	r := <-done
	if r.err != nil || r.late != 0 {
		t.Fatalf("late %v, %v", r.late, r.err)
	}
	if !fc.now().Equal(start) {
		t.Errorf("the wait ended at %v, want %v", fc.now(), start)
	}
	if want := []time.Duration{2*time.Minute + 5*time.Second, time.Hour, time.Minute}; !slices.Equal(waits[:3], want) {
		t.Errorf("waits %v, want them to begin with %v", waits, want)
	}
	if last := waits[len(waits)-2:]; !slices.Equal(last, []time.Duration{50 * time.Second, 10 * time.Second}) {
		t.Errorf("the last waits %v, want 50s then 10s", last)
	}
	lines := strings.Split(strings.TrimSuffix(progress.String(), "\n"), "\n")
	want := []string{"waiting 2h2m5s for the common start at 2026-11-30T14:02:05Z", "starting in 2h0m0s", "starting in 1h0m0s", "starting in 59m0s"}
	if len(lines) != 63 || !slices.Equal(lines[:4], want) ||
		lines[len(lines)-2] != "starting in 1m0s" || lines[len(lines)-1] != "starting in 10s" {
		t.Errorf("%d lines:\n%s\nwant 63, starting with %q and ending with 1m0s and 10s", len(lines), progress.String(), want)
	}
}
