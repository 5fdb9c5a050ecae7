package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/history"
	"github.com/loadgate/loadgate/leftovers"
	"github.com/loadgate/loadgate/record"
)

// runOnBranch runs a command line with $LOADGATE_BRANCH set to branch.
func runOnBranch(t *testing.T, branch string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, env{stdout: &out, stderr: &errb, getenv: func(k string) string {
		switch k {
		case leftovers.EnvStateDir:
			return os.Getenv(k)
		case history.EnvBranch:
			return branch
		}
		return ""
	}})
	return code, out.String(), errb.String()
}

// TestHistoryCommands: runs add themselves to the store; list shows them;
// gate and run --baseline history judge against them and name them; no
// baseline is exit 2; the trend page is written; a corrupt store is a
// warning that leaves the run's own results and exit code alone.
func TestHistoryCommands(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	root := t.TempDir()
	store := "sqlite:" + filepath.Join(root, "h.db")
	scen := writeScenario(t, strings.Replace(fmt.Sprintf(okScenario, "p95 < 5s"), "http://127.0.0.1:1", srv.URL, 1))
	for i := 0; i < 2; i++ {
		out := filepath.Join(root, fmt.Sprint("run", i))
		if code, _, stderr := runOnBranch(t, "b1", "run", scen, "--duration", "6s", "--out", out, "--history", store); code != 0 {
			t.Fatalf("run %d: exit %d\n%s", i, code, stderr)
		}
	}
	code, stdout, stderr := runOnBranch(t, "", "history", "list", "--history", store)
	if code != 0 || strings.Count(stdout, " b1 ") != 2 || !strings.Contains(stdout, filepath.Join(root, "run1")) {
		t.Fatalf("history list: exit %d\n%s%s", code, stdout, stderr)
	}

	run1 := filepath.Join(root, "run1")
	code, stdout, stderr = runOnBranch(t, "", "gate", run1, "--baseline", "history", "--baseline-branch", "b1", "--history", store)
	if code != 0 || !strings.Contains(stderr, "baseline: the last completed run of plan") || !strings.Contains(stdout, "p95 regression vs baseline") {
		t.Errorf("gate --baseline history: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runOnBranch(t, "", "gate", run1, "--baseline", "history", "--baseline-branch", "nope", "--history", store)
	if code != 2 || !strings.Contains(stderr, "no baseline in history") || !strings.Contains(stderr, "on branch nope") {
		t.Errorf("no baseline: exit %d\n%s", code, stderr)
	}

	third := filepath.Join(root, "run2")
	if code, _, stderr := runOnBranch(t, "b1", "run", scen, "--duration", "6s", "--out", third, "--history", store,
		"--baseline", "history", "--baseline-branch", "b1"); code != 0 {
		t.Fatalf("run --baseline history: exit %d\n%s", code, stderr)
	}
	rec, err := record.ReadRun(third)
	if err != nil {
		t.Fatal(err)
	}
	if jm := rec.Judged; jm.Baseline != "history" || len(jm.BaselineRuns) != 2 {
		t.Errorf("judged = %+v", jm)
	}

	page := filepath.Join(root, "trend.html")
	if code, stdout, stderr := runOnBranch(t, "", "history", "trend", "--scenario", "cli", "--out", page, "--history", store, "--assets", "cdn"); code != 0 || !strings.Contains(stdout, "(3 runs)") {
		t.Errorf("trend: exit %d\n%s%s", code, stdout, stderr)
	}
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), "../run0/report.html") && !strings.Contains(string(b), "run0/report.html") {
		t.Errorf("trend page: %v", err)
	}

	corrupt := filepath.Join(root, "corrupt.db")
	os.WriteFile(corrupt, bytes.Repeat([]byte("garbage "), 1000), 0o644)
	out := filepath.Join(root, "run3")
	code, _, stderr = runOnBranch(t, "b1", "run", scen, "--duration", "2s", "--out", out, "--history", "sqlite:"+corrupt)
	if code != 0 || !strings.Contains(stderr, "warning: the run was not added to history") || !strings.Contains(stderr, corrupt) {
		t.Errorf("corrupt store: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, record.RunFile)); err != nil {
		t.Errorf("the run's own results: %v", err)
	}
}

// TestHistoryImportTwice: importing a results root twice adds its runs
// once, and says so.
func TestHistoryImportTwice(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	root := t.TempDir()
	results := filepath.Join(root, "results")
	scen := writeScenario(t, strings.Replace(fmt.Sprintf(okScenario, "p95 < 5s"), "http://127.0.0.1:1", srv.URL, 1))
	if code, _, stderr := runOnBranch(t, "", "run", scen, "--results", results, "--history", "off"); code != 0 {
		t.Fatalf("run: %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(results, history.FileName)); err == nil {
		t.Error("--history off wrote a store")
	}
	for i, want := range []string{"1 added, 0 already there", "0 added, 1 already there"} {
		code, stdout, stderr := runOnBranch(t, "", "history", "import", "--results", results, results)
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("import %d: exit %d, want %q\n%s%s", i, code, want, stdout, stderr)
		}
	}
}
