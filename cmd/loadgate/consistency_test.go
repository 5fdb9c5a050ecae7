package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestResultsDirNamesShareOneStyle: a run's directory is named
// <UTC yyyymmdd-hhmmss>-<scenario>, as README.md and DESIGN.md say
// (capacity's: trial/capacity TestSearchDirName; compare's: record
// TestCompareDir).
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
		if e.IsDir() { // not the latest link, nor the history store's files
			names = append(names, e.Name())
		}
	}
	if len(names) != 1 || !regexp.MustCompile(`^`+stamp+`-cli$`).MatchString(names[0]) {
		t.Errorf("run directories %q, want one <%s>-cli", names, stamp)
	}

}
