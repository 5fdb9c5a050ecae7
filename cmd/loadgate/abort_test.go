package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

const abortScenario = `name: doomed
target:
  base_url: http://127.0.0.1:1
  health: none
load:
  stages:
    - {duration: 60s, rate: 20/s}
requests:
  - {name: hello, path: /hello}
gates:
  - p95 < 3s
  - {expr: "error_rate < 5%", abort: {window: 3s, grace: 1s}}
`

// TestAbortGateEndsAFailingRun: a 60 s run against a target that fails
// every request ends by its abort gate's grace plus window,
// with status aborted, the gate as the reason, a report, and exit 1.
func TestAbortGateEndsAFailingRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "r")
	start := time.Now()
	code, stdout, stderr := runCLI(t, "run", writeScenario(t, abortScenario), "--target", srv.URL, "--out", out)
	took := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	run, err := record.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != record.StatusAborted || run.Abort == nil || run.Abort.Gate.Expr != "error_rate < 5%" || run.Abort.Gate.Verdict != record.VerdictFail {
		t.Fatalf("status %s, abort %+v", run.Status, run.Abort)
	}
	// The abort came by its grace and window on the run's own clock;
	// whatever a loaded machine adds after it, a run the gate did not end
	// lasts its 60 s plan and sends its 1200 requests.
	if took >= time.Minute || run.Overall.Requests >= 60*20 {
		t.Errorf("the run took %s and %d requests of its 60 s: the abort gate did not end it", took, run.Overall.Requests)
	}
	if run.Abort.AtS > 5 || run.Abort.WindowS > 3 {
		t.Errorf("aborted at %gs over %gs; want by 1 s grace + 3 s window", run.Abort.AtS, run.Abort.WindowS)
	}
	summary, err := os.ReadFile(filepath.Join(out, record.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(summary), "aborted by the gate error\\_rate \\< 5%") {
		t.Errorf("summary.md does not give the gate as the reason:\n%s", summary)
	}
	for _, f := range []string{record.ReportFile, record.JUnitFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestAbortGateHolds: an abort gate that holds lets the run go to its end.
func TestAbortGateHolds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "r")
	code, stdout, stderr := runCLI(t, "run", writeScenario(t, abortScenario), "--target", srv.URL, "--duration", "3s", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if run, err := record.ReadRun(out); err != nil || run.Status != record.StatusCompleted || run.Abort != nil {
		t.Errorf("run: %v %+v", err, run)
	}
}
