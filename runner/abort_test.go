package runner

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// TestAbortWindowSlides: the abort gate is judged every second over its
// window only, after its grace; what dropped out of the window no longer
// counts.
func TestAbortWindowSlides(t *testing.T) {
	t.Parallel()
	sc := scenarioFor(t, "http://127.0.0.1:1", `load:
  stages: [{duration: 20s, rate: 10/s}]
requests:
  - {name: a, path: /a}
gates:
  - {expr: "error_rate < 50%", abort: {window: 2s, grace: 3s}}
`)
	var judged []float64
	// The gate language judges; the test sees each window it was given.
	judge := func(g gate.Gate, run *record.Run) record.Gate {
		if g.Expr != "error_rate < 50%" || run.Endpoints["a"].Requests != run.Overall.Requests {
			t.Errorf("judged %q over %+v", g.Expr, run.Overall)
		}
		judged = append(judged, run.Overall.ErrorRate)
		return g.Evaluate(gate.Input{Run: run})
	}
	w := newAbortWatch(sc, requestNames(sc), judge, 60e6)
	if w == nil {
		t.Fatal("no watch for an abort gate")
	}
	level := func(from, to time.Duration) float64 { return 10 }
	second := func(ok, failed int) {
		for range ok {
			w.observe(0, &result{code: 200}, 1000, 1000)
		}
		for range failed {
			w.observe(0, &result{code: 500, kind: kindStatus}, 1000, 1000)
		}
	}
	// Seconds 1–3 all fail: not judged inside the grace, then the window
	// of seconds 2–3 fails at 3 s.
	for s := 1; s <= 3; s++ {
		second(0, 10)
		hit := w.tick(time.Duration(s)*time.Second, time.Duration(s)*time.Second, level)
		if s < 3 && (hit != nil || len(judged) > 0) {
			t.Fatalf("second %d, inside the grace: hit %+v, judged %v", s, hit, judged)
		}
		if s == 3 && (hit == nil || hit.WindowS != 2 || len(judged) != 1 || judged[0] != 1) {
			t.Fatalf("at 3 s: hit %+v, judged %v", hit, judged)
		}
	}
	w = newAbortWatch(sc, requestNames(sc), judge, 60e6)
	judged = nil
	// 1–4 succeed; 5 half fails: the window 4–5 holds 25 % errors, 5–6 with
	// 6 failing 75 %: the abort comes at 6 s over 2 s.
	plan := [][2]int{{10, 0}, {10, 0}, {10, 0}, {10, 0}, {5, 5}, {0, 10}}
	var hit *record.Abort
	for i, p := range plan {
		second(p[0], p[1])
		at := time.Duration(i+1) * time.Second
		if hit = w.tick(at, at, level); hit != nil {
			break
		}
	}
	if hit == nil || hit.AtS != 6 || hit.WindowS != 2 || hit.GraceS != 3 || hit.Gate.Verdict != record.VerdictFail ||
		hit.Gate.Value == nil || *hit.Gate.Value != 0.75 {
		t.Fatalf("abort %+v; judged %v", hit, judged)
	}
	if want := []float64{0, 0, 0.25, 0.75}; fmt.Sprint(judged) != fmt.Sprint(want) {
		t.Errorf("judged error rates %v, want %v (windows 2–3, 3–4, 4–5, 5–6)", judged, want)
	}
}

// TestAbortGateIsTheScenarios: the abort rule is the gate the scenario
// parsed when it was loaded, and the gate language judges it (no evaluator
// to give the runner): a failing window ends the run with the gate's own
// result.
func TestAbortGateIsTheScenarios(t *testing.T) {
	t.Parallel()
	sc := scenarioFor(t, "http://127.0.0.1:1", "load:\n  stages: [{duration: 10s, rate: 10/s}]\nrequests:\n  - {name: a, path: /a}\ngates:\n  - p99 < 1s\n  - {expr: \"a.p95 < 5ms\", abort: {window: 1s}}\n")
	w := newAbortWatch(sc, requestNames(sc), nil, 60e6)
	if w == nil || len(w.rules) != 1 || w.rules[0].gate != sc.Gates[1].Parsed() || w.rules[0].gate.Threshold != 5000 {
		t.Fatalf("watch %+v, want the one abort gate as parsed", w)
	}
	for range 10 {
		w.observe(0, &result{code: 200}, 8000, 8000) // 8 ms
	}
	hit := w.tick(time.Second, time.Second, func(from, to time.Duration) float64 { return 10 })
	if hit == nil || hit.Gate.Verdict != record.VerdictFail || !strings.Contains(hit.Gate.Message, "a.p95") || hit.Gate.Value == nil {
		t.Fatalf("abort %+v, want a.p95 < 5ms failed", hit)
	}
}

// TestRecordWithAbortGatesAllocatesNothing guards the hot path with the
// abort window on.
func TestRecordWithAbortGatesAllocatesNothing(t *testing.T) {
	sc := scenarioFor(t, "http://127.0.0.1:1", "load:\n  stages: [{duration: 1s, rate: 1/s}]\nrequests:\n  - {name: a, path: /a}\ngates:\n  - {expr: \"p95 < 1s\", abort: {}}\n")
	w := newAbortWatch(sc, requestNames(sc), nil, 60e6)
	res := &result{code: 200}
	if allocs := testing.AllocsPerRun(1000, func() { w.observe(0, res, 1200, 900) }); allocs != 0 {
		t.Errorf("observe allocates %v times", allocs)
	}
}

func requestNames(sc *scenarios.Scenario) []string {
	var names []string
	for _, r := range sc.Requests {
		names = append(names, r.Name)
	}
	return names
}

// TestAbortGateWithoutCancelContext: an abort gate ends a run started
// with a context that is never cancelled (context.Background, whose Done
// is nil), as a library caller would start one.
func TestAbortGateWithoutCancelContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, `load:
  stages: [{duration: 20s, rate: 10/s}]
requests: [{name: a, path: /}]
gates:
  - {expr: "error_rate < 50%", abort: {window: 1s, grace: 1s}}
`)
	start := time.Now()
	run, _, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	// By its grace and window on the run's own clock; a run the gate did
	// not end lasts its 20 s plan, whatever the machine's speed.
	if took := time.Since(start); run.Abort == nil || run.Abort.AtS > 3 || took >= 20*time.Second {
		t.Errorf("status %s, abort %+v after %s: the failing gate did not end the run", run.Status, run.Abort, took)
	}
}

// withJudge has Run's abort gates judged by j: a test's view of each
// window, around the gate language's verdict.
func withJudge(j func(gate.Gate, *record.Run) record.Gate) Option {
	return func(c *config) { c.judge = j }
}
