package runner

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// waitForCheckpoint waits until dir holds a run.json that measured some
// requests (or fails the test after limit), and returns it. The file is
// replaced by a rename, so every read sees a whole one.
func waitForCheckpoint(t *testing.T, dir string, limit time.Duration) *record.Run {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		run, err := record.ReadRun(dir)
		switch {
		case err == nil && run.Overall.Requests > 0:
			return run
		case err != nil && !errors.Is(err, record.ErrMissing):
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint with requests in %s within %s", dir, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCheckpointWhileRunning: while a run is under way its directory holds
// run.json with status running and what was measured so far, and the
// timeline; the end of the run replaces them.
func TestCheckpointWhileRunning(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 60s, rate: 20/s}]\nrequests: [{name: a, path: /}]\n")
	dir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		run *record.Run
		err error
	}
	done := make(chan result, 1)
	go func() {
		run, _, err := runWritten(ctx, sc, WithResultsRoot(t.TempDir()), WithOutDir(dir), WithCheckpointEvery(time.Second),
			WithCheckpoint(writeRunFiles))
		done <- result{run, err}
	}()
	cp := waitForCheckpoint(t, dir, 20*time.Second)
	if cp.Status != record.StatusRunning {
		t.Errorf("checkpoint status %q, want %q", cp.Status, record.StatusRunning)
	}
	if cp.Overall.Requests == 0 || cp.Endpoints["a"].Requests != cp.Overall.Requests || cp.Overall.LatencyUS.P95 <= 0 {
		t.Errorf("checkpoint holds %+v, want what was measured so far", cp.Overall)
	}
	if !cp.Ended.After(cp.Started) || cp.Plan.Model == "" {
		t.Errorf("checkpoint started %v ended %v plan %+v", cp.Started, cp.Ended, cp.Plan)
	}
	tl, err := record.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, p := range tl.Points {
		sum += p.Requests
	}
	if len(tl.Points) == 0 || sum < cp.Overall.Requests {
		t.Errorf("checkpoint timeline: %d points holding %d requests, run.json %d", len(tl.Points), sum, cp.Overall.Requests)
	}
	cancel()
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	final, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if final.Status != record.StatusAborted || final.Overall.Requests < cp.Overall.Requests {
		t.Errorf("after the end: status %q, %d requests (checkpoint %d)", final.Status, final.Overall.Requests, cp.Overall.Requests)
	}
}

// TestCheckpointEndedByTheClock: a checkpoint's end (run.json's ended
// while the run is under way) is the runner's clock's now.
func TestCheckpointEndedByTheClock(t *testing.T) {
	t.Parallel()
	rec, sched := benchRecorder(t)
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sc := &scenarios.Scenario{Requests: []scenarios.Request{{Name: "a", Weight: 1}, {Name: "b", Weight: 1}}}
	sc.Load.MaxWorkers = 10
	a := &attack{sc: sc, cfg: config{clock: clock{now: func() time.Time { return at }}}, sched: sched, rec: rec, sent: func() uint64 { return 0 }}
	if out := a.snapshot(time.Second); out.status != record.StatusRunning || !out.ended.Equal(at) {
		t.Errorf("checkpoint %s ended %v, want running, ended %v", out.status, out.ended, at)
	}
}
