package trial

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// okTarget answers every request 200 with a JSON body.
func okTarget(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"ok"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// runPlanOf runs body through Run and returns the outcome, the run as
// written and what was printed: stdout, then stderr.
func runPlanOf(t *testing.T, body string) (record.Outcome, *record.Run, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	out := filepath.Join(t.TempDir(), "run")
	verdict, err := Run(context.Background(), env, Plan{Scenario: writeScenario(t, body), Out: out, Root: t.TempDir()})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	run, err := record.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	return verdict, run, stdout.String() + "\n" + stderrMark + stderr.String()
}

// stderrMark separates stdout from stderr in what runPlanOf returns.
const stderrMark = "--- stderr ---\n"

// A 10 s plan whose unique data runs out after about 1 s stops early: it
// is recorded as stopped, and its verdict is inconclusive (exit 2) with
// the reason on the verdict's line, though p95 < 1s holds. Before, it was
// recorded completed and passed (issue 19).
func TestRunOutOfDataIsInconclusive(t *testing.T) {
	srv := okTarget(t)
	verdict, run, printed := runPlanOf(t, fmt.Sprintf(`name: short
target: {base_url: %s, health: none}
load: {stages: [{duration: 10s, rate: 10/s}]}
data: {user: {range: [1, 10], pick: unique}}
requests: [{name: a, path: "/u/{{user}}"}]
gates: ["p95 < 1s"]
`, srv.URL))
	if run.Stopped == nil || run.Stopped.AtS > 5 || run.Stopped.PlanS != 10 {
		t.Fatalf("stopped %+v", run.Stopped)
	}
	if verdict.Verdict != record.VerdictUnknown || verdict.ExitCode() != 2 || !strings.HasPrefix(verdict.Headline(), "INCONCLUSIVE — its attack stopped after") {
		t.Errorf("verdict %s: %s", verdict.Verdict, verdict.Headline())
	}
	if run.Judged == nil || run.Judged.Verdict != record.VerdictUnknown {
		t.Errorf("recorded verdict %+v", run.Judged)
	}
	if !strings.Contains(printed, "INCONCLUSIVE — its attack stopped after") {
		t.Errorf("the terminal does not say it:\n%s", printed)
	}
}

// An exec drill that fails to inject leaves the run's gates unable to say
// anything of the fault, and the run is no pass: before, recovery_time,
// fault_error_rate and p95 all passed, exit 0 (issue 19).
func TestFailedDrillIsNoPass(t *testing.T) {
	srv := okTarget(t)
	verdict, run, printed := runPlanOf(t, fmt.Sprintf(`name: drill
target: {base_url: %s, health: none}
load: {stages: [{duration: 6s, rate: 20/s}]}
requests: [{name: a, path: /}]
faults: [{name: f, at: 1s, for: 1s, action: exec, run: ["false"], undo: ["true"]}]
gates: ["p95 < 1s", "recovery_time < 10s", "f.recovery_time < 10s", "fault_error_rate <= 0%%"]
`, srv.URL))
	if len(run.Faults) != 1 || run.Faults[0].Error == "" {
		t.Fatalf("faults %+v", run.Faults)
	}
	if verdict.Verdict != record.VerdictUnknown || !strings.HasPrefix(verdict.Headline(), "INCONCLUSIVE — drill f failed to inject") {
		t.Errorf("verdict %s: %s", verdict.Verdict, verdict.Headline())
	}
	for _, g := range run.Gates[1:] {
		if g.Verdict != record.VerdictUnknown {
			t.Errorf("gate %s: %s (%s), want unknown", g.Expr, g.Verdict, g.Message)
		}
	}
	if !strings.Contains(printed, "drill f failed to inject") {
		t.Errorf("the terminal does not say it:\n%s", printed)
	}
}

// A journey whose extract never matches fails its error-rate gate (exit
// 1, a fail outranks the unknown P95 of the step it skipped), and the
// terminal's last lines name the reason with its count (issue 19).
func TestExtractFailuresNamedOnTheTerminal(t *testing.T) {
	srv := okTarget(t)
	verdict, _, printed := runPlanOf(t, fmt.Sprintf(`name: journey
target: {base_url: %s, health: none}
load: {model: closed, stages: [{duration: 2s, users: 2}]}
flows:
  - name: f
    steps:
      - {name: login, path: /login, extract: {token: {json: $.token}}}
      - {name: read, path: "/read?t={{token}}"}
gates: ["error_rate < 1%%", "f.read.p95 < 1s"]
`, srv.URL))
	if verdict.Verdict != record.VerdictFail || verdict.ExitCode() != 1 {
		t.Errorf("verdict %s: %s", verdict.Verdict, verdict.Headline())
	}
	stdout, _, _ := strings.Cut(printed, "\n"+stderrMark)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	tail := strings.Join(lines[max(0, len(lines)-6):], "\n")
	if !strings.Contains(tail, "errors: ") || !strings.Contains(tail, "extract token: ") {
		t.Errorf("the last lines do not name the extract:\n%s", printed)
	}
}
