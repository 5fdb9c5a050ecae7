package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRecordedVerdictStands: a run judged by --gate keeps that verdict
// through `gate DIR` and `report DIR` (what `make gate` and `make report`
// call); `gate DIR --gate X` judges by X, says so, and rewrites nothing.
func TestRecordedVerdictStands(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "r")
	// The scenario's own gate holds; the one given in its place cannot.
	sc := writeScenario(t, fmt.Sprintf(okScenario, "error_rate < 1%"))
	if code, out, errs := runCLI(t, "run", sc, "--target", srv.URL, "--out", dir, "--gate", "p95 < 1us"); code != 1 {
		t.Fatalf("run: exit %d, want 1\n%s%s", code, out, errs)
	}
	var run struct {
		Judged struct {
			Gates   []string `json:"gates"`
			Source  string   `json:"source"`
			Verdict string   `json:"verdict"`
		} `json:"judged"`
	}
	if err := json.Unmarshal([]byte(readRunFiles(t, dir)["run.json"]), &run); err != nil {
		t.Fatal(err)
	}
	if len(run.Judged.Gates) != 1 || run.Judged.Gates[0] != "p95 < 1us" || run.Judged.Source != "override" || run.Judged.Verdict != "fail" {
		t.Errorf("run.json judged %+v, want p95 < 1us from an override, fail", run.Judged)
	}

	code, out, errs := runCLI(t, "gate", dir)
	if code != 1 || !strings.Contains(out, "p95 < 1us") || strings.Contains(out, "error_rate") || !strings.Contains(out, "recorded verdict") {
		t.Errorf("gate DIR: exit %d, want 1 by the recorded gate, said so\n%s%s", code, out, errs)
	}

	if code, out, errs := runCLI(t, "report", dir); code != 0 {
		t.Fatalf("report DIR: exit %d\n%s%s", code, out, errs)
	}
	files := readRunFiles(t, dir)
	if !strings.Contains(files["junit.xml"], `name="p95 &lt; 1us"`) || strings.Contains(files["junit.xml"], "error_rate") {
		t.Errorf("report DIR re-judged the run:\n%s", files["junit.xml"])
	}
	if !strings.Contains(files["report.html"], `class="banner fail"`) {
		t.Error("report DIR: the page's banner is not the recorded fail")
	}

	code, out, errs = runCLI(t, "gate", dir, "--gate", "error_rate < 1%")
	if code != 0 || !strings.Contains(out, "ad-hoc gates, not the run's recorded verdict") {
		t.Errorf("gate DIR --gate: exit %d, want 0 and the ad-hoc heading\n%s%s", code, out, errs)
	}
	for f, before := range files {
		if after := readRunFiles(t, dir)[f]; after != before {
			t.Errorf("gate --gate rewrote %s", f)
		}
	}
}

// TestHostileTargetAndLabels: the attack of issue 10 end to end — a target
// whose Server-Timing name is a script, a comparison labelled with one —
// leaves no executable markup in report.html or summary.md.
func TestHostileTargetAndLabels(t *testing.T) {
	const evil = "</script><script>document.title='x'</script>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server-Timing", evil+";dur=3")
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	root := t.TempDir()
	dir := filepath.Join(root, "r")
	if code, out, errs := runCLI(t, "run", writeScenario(t, fmt.Sprintf(okScenario, "error_rate < 1%")), "--target", srv.URL, "--out", dir); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(readRunFile(t, dir, "run.json"), `\u003c/script\u003e\u003cscript\u003edocument.title`) {
		t.Fatal("the target's Server-Timing name did not reach run.json: the test does not test what it says")
	}
	cmp := filepath.Join(root, "cmp")
	if code, out, errs := runCLI(t, "report", dir, dir, "--labels", evil+"<img src=x onerror=alert(1)>|a,b", "--out", cmp); code != 0 {
		t.Fatalf("report A B: exit %d\n%s%s", code, out, errs)
	}
	for _, d := range []string{dir, cmp} {
		page := readRunFile(t, d, "report.html")
		// The inlined chart library holds "<img" of its own: look for the planted tag.
		for _, bad := range []string{"<script>document.title", "<img src=x"} {
			if strings.Contains(page, bad) {
				t.Errorf("%s/report.html holds %q as markup", d, bad)
			}
		}
		// In Markdown a '<' is markup unless escaped.
		if m := unescapedLT.FindString(readRunFile(t, d, "summary.md")); m != "" {
			t.Errorf("%s/summary.md holds markup: %q", d, m)
		}
	}
}

var unescapedLT = regexp.MustCompile(`(^|[^\\])<[a-z/][^\n]{0,30}`)

func readRunFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, f := range []string{"run.json", "report.html", "summary.md", "junit.xml"} {
		m[f] = readRunFile(t, dir, f)
	}
	return m
}

func readRunFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
