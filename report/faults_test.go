package report

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/runner"
	"github.com/loadgate/loadgate/scenarios"
)

// flaky is a target whose recovery time is known: it fails every request
// while a fault is on and for recoverAfter after the fault is undone; with
// recoverAfter < 0 it never recovers.
type flaky struct {
	mu      sync.Mutex // guards failUntil
	failTo  time.Time  // fail until then (the zero time: do not fail)
	forever bool
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	failing := f.forever || time.Now().Before(f.failTo)
	f.mu.Unlock()
	if failing && r.URL.Path != "/health" {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprint(w, "ok")
}

// fault is a drill on a flaky target.
type flakyFault struct {
	f            *flaky
	recoverAfter time.Duration // < 0: never
}

func (d flakyFault) Inject(context.Context) error {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	d.f.failTo = time.Now().Add(time.Hour)
	return nil
}

func (d flakyFault) Undo(context.Context) error {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if d.recoverAfter < 0 {
		d.f.forever = true
		return nil
	}
	d.f.failTo = time.Now().Add(d.recoverAfter)
	return nil
}

// TestFaultRecoveryKnown runs against a target that recovers exactly 3 s
// after the first fault ends and never after the second (which the run
// outlasts by 5 s, more than the 3 measured seconds that takes): the report
// measures a recovery of 3 s (to the second the timeline resolves; later
// when the machine's load spikes a second's P95 after it) and
// "never recovered", every request during a fault failing, and the
// windows shaded on the charts.
func TestFaultRecoveryKnown(t *testing.T) {
	fl := &flaky{}
	srv := httptest.NewServer(fl)
	defer srv.Close()
	sc, err := scenarios.Parse([]byte(fmt.Sprintf(`name: known
target: {base_url: %s, health: /health, timeout: 2s}
load:
  stages: [{duration: 20s, rate: 40/s}]
requests: [{name: a, path: /a}]
faults:
  - {name: first, at: 3s, for: 2s, action: exec, run: ["true"], undo: ["true"]}
  - {name: second, at: 14s, for: 1s, action: exec, run: ["true"], undo: ["true"]}
gates:
  - recovery_time < 10s
  - first.recovery_time < 8s
  - first.fault_error_rate < 50%%
  - second.recovery_time < 10s
`, srv.URL)), "known.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	drills := map[string]runner.Injector{"first": flakyFault{fl, 3 * time.Second}, "second": flakyFault{fl, -1}}
	// No checkpoints: under the race detector on a busy machine, writing one
	// holds the recorder long enough to delay sends by tens of
	// milliseconds, which a recovery tolerance of 50 ms on a 2 ms P95 sees.
	_, dir, err := runToDir(context.Background(), sc, runner.WithResultsRoot(t.TempDir()), runner.WithFaults(drills),
		runner.WithCheckpointEvery(0))
	if err != nil {
		t.Fatal(err)
	}
	out, err := finish(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	first, second := run.Faults[0].Measured, run.Faults[1].Measured
	if first == nil || second == nil {
		t.Fatalf("figures missing: %+v", run.Faults)
	}
	// Recovery ends with 3 seconds in a row within the tolerance (1.5× the
	// P95 before, or 50 ms above it): on a machine busy enough to spike a
	// second's P95 past that, it ends a few seconds later, never sooner.
	if !first.Recovered || first.RecoveryS == nil || *first.RecoveryS < 2 || *first.RecoveryS > 6 {
		d, err := loadRun(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("first: recovery %v (recovered %v), want 3s; window %v-%v, before P95 %.0fus; seconds: %+v",
			first.RecoveryS, first.Recovered, *run.Faults[0].StartS, *run.Faults[0].EndS, first.BeforeP95US, d.seconds())
	}
	// The timeline files a result under the second of the tick that read
	// it: on a busy machine a failure of the fault's first moment may fall
	// into the second before.
	if first.Requests < 60 || first.ErrorRate < 0.9 || first.BeforeErrorRate > 0.05 || first.LatencyUS == nil {
		t.Errorf("first during: %+v", first)
	}
	if second.Recovered || second.RecoveryS != nil || second.Note != "" {
		t.Errorf("second: %+v, want never recovered", second)
	}
	verdicts := map[string]string{}
	for _, g := range out.Gates {
		verdicts[g.Expr] = g.Verdict + ": " + g.Message
	}
	for expr, want := range map[string]string{
		"recovery_time < 10s":          "fail: recovery_time is unbounded",
		"first.recovery_time < 8s":     "pass",
		"first.fault_error_rate < 50%": "fail",
		"second.recovery_time < 10s":   "fail",
	} {
		if !strings.HasPrefix(verdicts[expr], want) {
			t.Errorf("gate %s: %s, want %s", expr, verdicts[expr], want)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, record.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="faults"`, "never recovered", `"markArea"`, `"name":"first"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %s", want)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, record.SummaryFile))
	if !strings.Contains(string(md), "| first | exec |") {
		t.Errorf("summary.md lacks the fault table:\n%s", md)
	}
}

// writes_lost is the writes check's count; when a drill of the run failed,
// the check is not reliable and the gate says so instead of passing.
func TestWritesLostGate(t *testing.T) {
	for _, c := range []struct {
		w            *record.Writes
		verdict, why string
	}{
		{&record.Writes{Acknowledged: 10, Found: count(10), Lost: count(0)}, record.VerdictPass, ""},
		{&record.Writes{Acknowledged: 10, Found: count(8), Lost: count(2)}, record.VerdictFail, ""},
		{&record.Writes{Acknowledged: 10, Found: count(10), Lost: count(0), FailedDrills: []string{"pg_down"}}, record.VerdictUnknown,
			"writes check not reliable: drill pg_down failed"},
		// The rows could not be counted after the run.
		{&record.Writes{Acknowledged: 10, FailedDrills: []string{"pg_down"}, Error: "counting writes: connection refused"}, record.VerdictUnknown,
			"writes not checked: counting writes: connection refused"},
		{nil, record.VerdictUnknown, "no writes check in this run"},
	} {
		in := gate.Input{Run: &record.Run{Writes: c.w}, Extra: map[string]float64{}, Why: map[string]string{}}
		faultGateInput(&runData{Run: in.Run}, &in)
		g := gate.EvaluateInput(in, []string{"writes_lost <= 0"})[0]
		if g.Verdict != c.verdict || !strings.Contains(g.Message, c.why) {
			t.Errorf("writes %+v: %s (%s), want %s (%s)", c.w, g.Verdict, g.Message, c.verdict, c.why)
		}
	}
}

func count(n int64) *int64 { return &n }

// A fault that never happened has no recovery to measure: not injected
// (its drill failed), or not due before the run ended. Its gates are
// unknown with the reason, never a pass (recovery 0 after nothing) nor a
// fail ("never recovered" from a fault that never was); and the worst
// fault's recovery is unknown with it (issue 19).
func TestRecoveryOfAFaultThatNeverHappened(t *testing.T) {
	t.Parallel()
	at := func(v float64) *float64 { return &v }
	recovered := &record.FaultFigures{Requests: 100, Errors: 0, RecoveryS: at(0), Recovered: true}
	for _, c := range []struct {
		name  string
		fault record.Fault
		why   string
	}{
		{"not injected", record.Fault{FaultPlan: record.FaultPlan{Name: "f"}, StartS: at(5), EndS: at(10), Error: "exit status 1", Measured: recovered},
			"fault f was not injected (exit status 1)"},
		{"not due before the end", record.Fault{FaultPlan: record.FaultPlan{Name: "f"}}, "fault f did not happen (the run ended first)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := gate.Input{Run: &record.Run{Faults: []record.Fault{c.fault}}, Extra: map[string]float64{}, Why: map[string]string{}}
			faultGateInput(&runData{Run: in.Run}, &in)
			exprs := []string{"recovery_time < 10s", "f.recovery_time < 10s", "fault_error_rate <= 0", "f.fault_error_rate <= 0"}
			for _, g := range gate.EvaluateInput(in, exprs) {
				if g.Verdict != record.VerdictUnknown || !strings.Contains(g.Message, c.why) {
					t.Errorf("%s: %s (%s), want unknown saying %q", g.Expr, g.Verdict, g.Message, c.why)
				}
			}
		})
	}
}

// A fault that ends too near the run's end to see 3 measured seconds after
// it: its recovery is unknown, saying so, not "never recovered".
func TestRecoveryOfAFaultAtTheEnd(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "end")
	writeFixture(t, dir, fixture{Seconds: 30, Seed: 3}) // measured seconds 2 … 31
	d, err := loadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	at := func(v float64) *float64 { return &v }
	d.Run.Faults = []record.Fault{
		{FaultPlan: record.FaultPlan{Name: "early"}, StartS: at(10), EndS: at(12), Injected: true},
		{FaultPlan: record.FaultPlan{Name: "late"}, StartS: at(25), EndS: at(30.5), Injected: true},
	}
	measureFaults(d)
	if m := d.Run.Faults[1].Measured; m == nil || m.Recovered || !strings.Contains(m.Note, "recovery needs 3 measured seconds") {
		t.Errorf("late fault figures: %+v", m)
	}
	in := gate.Input{Run: d.Run, Extra: map[string]float64{}, Why: map[string]string{}}
	faultGateInput(d, &in)
	got := gate.EvaluateInput(in, []string{"early.recovery_time < 10s", "late.recovery_time < 10s", "recovery_time < 10s"})
	if got[0].Verdict != record.VerdictPass {
		t.Errorf("early: %+v", got[0])
	}
	for _, g := range got[1:] {
		if g.Verdict != record.VerdictUnknown || !strings.Contains(g.Message, "recovery needs 3 measured seconds") {
			t.Errorf("%s: %s (%s), want unknown: too near the end", g.Expr, g.Verdict, g.Message)
		}
	}
}
