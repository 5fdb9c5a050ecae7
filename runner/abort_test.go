package runner

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

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
	judge := func(run *record.Run, expr string) record.Gate {
		if expr != "error_rate < 50%" || run.Endpoints["a"].Requests != run.Overall.Requests {
			t.Errorf("judged %q over %+v", expr, run.Overall)
		}
		er := run.Overall.ErrorRate
		judged = append(judged, er)
		if er < 0.5 {
			return record.Gate{Expr: expr, Verdict: record.VerdictPass}
		}
		return record.Gate{Expr: expr, Verdict: record.VerdictFail, Message: fmt.Sprint(er)}
	}
	w, err := newAbortWatch(sc, requestNames(sc), judge, 60e6)
	if err != nil || w == nil {
		t.Fatalf("watch %v, %v", w, err)
	}
	level := func(from, to time.Duration) float64 { return 10 }
	second := func(ok, failed int) {
		for range ok {
			w.observe(0, &vegeta.Result{Code: 200}, kindOK, 1000, 1000)
		}
		for range failed {
			w.observe(0, &vegeta.Result{Code: 500}, kindStatus, 1000, 1000)
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
	w = mustWatch(t, sc, judge)
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
	if hit == nil || hit.AtS != 6 || hit.WindowS != 2 || hit.GraceS != 3 || hit.Gate.Verdict != record.VerdictFail {
		t.Fatalf("abort %+v; judged %v", hit, judged)
	}
	if want := []float64{0, 0, 0.25, 0.75}; fmt.Sprint(judged) != fmt.Sprint(want) {
		t.Errorf("judged error rates %v, want %v (windows 2–3, 3–4, 4–5, 5–6)", judged, want)
	}
}

func mustWatch(t *testing.T, sc *scenarios.Scenario, judge GateJudge) *abortWatch {
	t.Helper()
	w, err := newAbortWatch(sc, requestNames(sc), judge, 60e6)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestAbortGatesNeedAJudge: a scenario with abort gates is refused without
// an evaluator rather than run without them.
func TestAbortGatesNeedAJudge(t *testing.T) {
	t.Parallel()
	sc := scenarioFor(t, "http://127.0.0.1:1", "load:\n  stages: [{duration: 1s, rate: 1/s}]\nrequests:\n  - {name: a, path: /a}\ngates:\n  - {expr: \"p95 < 1s\", abort: {}}\n")
	if _, err := newAbortWatch(sc, requestNames(sc), nil, 60e6); err == nil {
		t.Error("abort gates without a judge were accepted")
	}
}

// TestRecordWithAbortGatesAllocatesNothing guards the hot path with the
// abort window on.
func TestRecordWithAbortGatesAllocatesNothing(t *testing.T) {
	sc := scenarioFor(t, "http://127.0.0.1:1", "load:\n  stages: [{duration: 1s, rate: 1/s}]\nrequests:\n  - {name: a, path: /a}\ngates:\n  - {expr: \"p95 < 1s\", abort: {}}\n")
	w := mustWatch(t, sc, func(*record.Run, string) record.Gate { return record.Gate{} })
	res := &vegeta.Result{Code: 200}
	if allocs := testing.AllocsPerRun(1000, func() { w.observe(0, res, kindOK, 1200, 900) }); allocs != 0 {
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
	judge := func(run *record.Run, expr string) record.Gate {
		if run.Overall.ErrorRate >= 0.5 {
			return record.Gate{Expr: expr, Verdict: record.VerdictFail}
		}
		return record.Gate{Expr: expr, Verdict: record.VerdictPass}
	}
	start := time.Now()
	run, _, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()), WithGateJudge(judge))
	if err != nil {
		t.Fatal(err)
	}
	// By its grace and window on the run's own clock; a run the gate did
	// not end lasts its 20 s plan, whatever the machine's speed.
	if took := time.Since(start); run.Abort == nil || run.Abort.AtS > 3 || took >= 20*time.Second {
		t.Errorf("status %s, abort %+v after %s: the failing gate did not end the run", run.Status, run.Abort, took)
	}
}
