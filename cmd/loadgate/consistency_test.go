package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestResultsDirNamesShareOneStyle: a run's directory and compare's are
// named <UTC yyyymmdd-hhmmss>-…, as README.md and DESIGN.md say (capacity's:
// runner/capacity TestSearchDirName).
func TestResultsDirNamesShareOneStyle(t *testing.T) {
	stamp := `\d{8}-\d{6}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	root := t.TempDir()
	sc := writeScenario(t, strings.Replace(okScenario, "%s", "error_rate < 1%", 1))
	if code, out, errs := runCLI(t, "run", sc, "--target", srv.URL, "--results", root, "--duration", "1s"); code != 0 {
		t.Fatalf("run: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != "latest" {
			names = append(names, e.Name())
		}
	}
	if len(names) != 1 || !regexp.MustCompile(`^`+stamp+`-cli$`).MatchString(names[0]) {
		t.Errorf("run directories %q, want one <%s>-cli", names, stamp)
	}

	at := time.Date(2026, 11, 30, 21, 28, 41, 0, time.FixedZone("CET", 3600))
	if got, want := compareDir("results", "./my/checkout.yaml", at), filepath.Join("results", "20261130-202841-compare-checkout"); got != want {
		t.Errorf("compare directory %s, want %s", got, want)
	}
}
