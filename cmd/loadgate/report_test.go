package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

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

func readRunFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
