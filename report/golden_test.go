package report

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/loadgate/loadgate/record"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// goldenRun writes a run with a passing, a failing and an unknown gate, and
// a baseline, and finishes it.
func goldenRun(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	base, dir := filepath.Join(root, "2026-11-28T10-00-00-steady"), filepath.Join(root, "2026-11-28T11-00-00-steady")
	writeFixture(t, base, fixture{Seconds: 20, Seed: 3})
	writeFixture(t, dir, fixture{Seconds: 20, Seed: 3, Scale: 1.3, ErrorEvery: 40, NoCache: true,
		Gates: []string{"p95 < 3s", "error_rate < 1%", "cache_hit_rate > 60%", "search.p99 < 50ms"}})
	if _, err := finish(dir, Options{Baseline: base, Assets: AssetsCDN, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestGoldenSummaryAndJUnit(t *testing.T) {
	t.Parallel()
	dir := goldenRun(t)
	golden(t, "summary.md", []byte(readFile(t, filepath.Join(dir, record.SummaryFile))))
	golden(t, "junit.xml", []byte(readFile(t, filepath.Join(dir, record.JUnitFile))))
}

func TestJUnitParsesBack(t *testing.T) {
	t.Parallel()
	dir := goldenRun(t)
	// Parse with a schema of our own (not the writer's types), as a CI
	// system would.
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suite    []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	data := readFile(t, filepath.Join(dir, record.JUnitFile))
	if err := xml.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	if len(doc.Suite) != 1 || doc.Suite[0].Name != "loadgate.steady" {
		t.Fatalf("suites %+v", doc.Suite)
	}
	cases := doc.Suite[0].Cases
	// Four scenario gates and the P95 regression check.
	if doc.Tests != 5 || len(cases) != 5 {
		t.Fatalf("%d tests, %d cases, want 5", doc.Tests, len(cases))
	}
	byName := map[string]int{}
	for i, c := range cases {
		byName[c.Name] = i
	}
	pass := cases[byName["p95 < 3s"]]
	if pass.Failure != nil || pass.Error != nil {
		t.Errorf("p95 < 3s: not a pass")
	}
	fail := cases[byName["search.p99 < 50ms"]]
	if fail.Failure == nil || !bytes.Contains([]byte(fail.Failure.Message), []byte("gate is < 50 ms")) {
		t.Errorf("search.p99 < 50ms: failure %+v, want a message with value and threshold", fail.Failure)
	}
	unknown := cases[byName["cache_hit_rate > 60%"]]
	if unknown.Error == nil || !bytes.Contains([]byte(unknown.Error.Message), []byte("cannot be evaluated")) {
		t.Errorf("cache_hit_rate: error %+v, want an error that says it cannot be evaluated", unknown.Error)
	}
	if doc.Failures < 1 || doc.Errors != 1 {
		t.Errorf("failures %d errors %d", doc.Failures, doc.Errors)
	}
}

// TestGoldenHTML pins the whole page of a small run (fixed chart ids, CDN
// mode so the file stays small): a change to the page shows in review.
func TestGoldenHTML(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "2026-11-28T10-00-00-smoke")
	writeFixture(t, dir, fixture{Seconds: 4, Rate: 10, Seed: 6, ErrorEvery: 7, ServerTiming: true, DBQueryMs: 3,
		RSS: func(s int) float64 { return 64 << 20 }, Gates: []string{"p95 < 3s", "error_rate < 1%"}})
	if _, err := finish(dir, Options{Assets: AssetsCDN}); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.html", []byte(readFile(t, filepath.Join(dir, record.ReportFile))))
}

func TestGoldenComparisonSummary(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a, b := filepath.Join(root, "baseline"), filepath.Join(root, "optimized")
	writeFixture(t, a, fixture{Seconds: 20, Seed: 3, Scale: 8, Gates: []string{"p95 < 3s"}, NoCache: true, DBQueryMs: 4, Profile: "baseline"})
	writeFixture(t, b, fixture{Seconds: 20, Seed: 4, DBQueryMs: 4})
	if _, err := Compare([]string{a, b}, filepath.Join(root, "cmp"), Options{Assets: AssetsCDN, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare-summary.md", []byte(readFile(t, filepath.Join(root, "cmp", record.SummaryFile))))
}
