package runner

import (
	"context"
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
	up := newUserPacer(sched, 10, 0, nil, now)
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
