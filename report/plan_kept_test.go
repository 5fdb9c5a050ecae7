package report

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// A run that did not do what it planned is never a pass (issue 19): its
// attack stopped on its own with most of its plan unsent (unique data
// exhausted) is inconclusive whatever its gates say; a drill that failed
// to inject or undo makes a pass inconclusive, while a failed gate still
// fails. The reason is the verdict's first line.
func TestRunNotAsPlanned(t *testing.T) {
	t.Parallel()
	start, end := 2.0, 3.0
	tests := []struct {
		name     string
		gates    []string
		mutate   func(*record.Run)
		verdict  string
		headline string
	}{
		{"stopped early", nil, func(r *record.Run) {
			r.Stopped = &record.Stopped{AtS: 1, PlanS: 10, Reason: "data \"user\": unique data exhausted after 10 values"}
		}, record.VerdictUnknown, "INCONCLUSIVE — its attack stopped after 1s of its 10s plan"},
		{"stopped early, a gate failed", []string{"p95 < 1us"}, func(r *record.Run) {
			r.Stopped = &record.Stopped{AtS: 1, PlanS: 10, Reason: "unique data exhausted"}
		}, record.VerdictUnknown, "INCONCLUSIVE — its attack stopped"},
		{"stopped at the very end", nil, func(r *record.Run) {
			r.Stopped = &record.Stopped{AtS: 9.995, PlanS: 10, Reason: "unique data exhausted"}
		}, record.VerdictPass, "PASS"},
		{"drill failed to inject", nil, func(r *record.Run) {
			r.Faults = []record.Fault{{FaultPlan: record.FaultPlan{Name: "f", Action: "exec", AtS: 2}, StartS: &start, EndS: &start, Error: "false: exit status 1"}}
		}, record.VerdictUnknown, "INCONCLUSIVE — drill f failed to inject"},
		{"drill failed to undo", nil, func(r *record.Run) {
			r.Faults = []record.Fault{{FaultPlan: record.FaultPlan{Name: "f", Action: "exec", AtS: 2, ForS: 1}, StartS: &start, EndS: &end, Injected: true, UndoError: "boom"}}
		}, record.VerdictUnknown, "INCONCLUSIVE — drill f failed to undo"},
		{"drill failed, a gate failed", []string{"p95 < 1us"}, func(r *record.Run) {
			r.Faults = []record.Fault{{FaultPlan: record.FaultPlan{Name: "f", Action: "exec", AtS: 2}, StartS: &start, EndS: &start, Error: "x"}}
		}, record.VerdictFail, "FAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gates := tt.gates
			if gates == nil {
				gates = []string{"p95 < 10s"}
			}
			out := judgeChanged(t, gates, tt.mutate)
			if out.Verdict != tt.verdict || !strings.HasPrefix(out.Headline(), tt.headline) {
				t.Errorf("verdict %s, %q; want %s, %q", out.Verdict, out.Headline(), tt.verdict, tt.headline)
			}
			if tt.verdict != record.VerdictPass && (len(out.Reasons) == 0 || !strings.HasPrefix(out.Reasons[0], "the run did not do what it planned")) {
				t.Errorf("first reason %q", out.Reasons)
			}
		})
	}
}

// The gate table's last lines name why requests failed, by kind and
// count, most first (issue 19): unexpected statuses by code (an expected
// 404 is no error), transport kinds, failed checks, empty extracts.
func TestErrorReasons(t *testing.T) {
	t.Parallel()
	run := &record.Run{
		Overall: record.Stats{Requests: 400, Successes: 200, Errors: map[string]int64{"status": 25, "timeout": 7, "extract": 133, "check": 12}},
		Plan: record.Plan{
			Requests: []record.RequestMix{{Name: "a"}, {Name: "b", Expect: []int{200, 404}}},
			Flows:    []record.FlowMix{{Name: "f", Steps: []record.RequestMix{{Name: "f.login"}, {Name: "f.meal"}}}},
		},
		Endpoints: map[string]record.Stats{
			"a":       {StatusCodes: map[string]int64{"200": 10, "503": 20, "404": 3}, Errors: map[string]int64{"status": 23}},
			"b":       {StatusCodes: map[string]int64{"200": 10, "404": 9, "500": 2}, Errors: map[string]int64{"status": 2}},
			"f.login": {ExtractFailures: map[string]int64{"token": 133}},
			"f.meal":  {Checks: map[string]record.CheckCount{`$.status == "ok"`: {Passed: 3, Failed: 12}}},
		},
	}
	want := []string{"extract token: 133", "status 503: 20", `check $.status == "ok": 12`, "timeout: 7", "status 404: 3", "status 500: 2"}
	if got := errorReasons(run, 6); !reflect.DeepEqual(got, want) {
		t.Errorf("reasons\n%q\nwant\n%q", got, want)
	}
	if got := errorReasons(run, 2); len(got) != 3 || got[2] != "and 4 more reasons" {
		t.Errorf("cut to 2: %q", got)
	}
	if got := errorReasons(&record.Run{Overall: record.Stats{Requests: 5, Successes: 5}}, 6); got != nil {
		t.Errorf("no errors: %q", got)
	}
}

// judgeChanged judges a 10-second fixture run with gates, changed by
// change before, as the owner of a run does (finish).
func judgeChanged(t *testing.T, gates []string, change func(*record.Run)) record.Outcome {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	run := writeFixture(t, dir, fixture{Seconds: 10, Gates: gates})
	change(run)
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	out, err := finish(dir, Options{Assets: AssetsCDN})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
