package report

import (
	"html"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

func TestChangeWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, v float64
		unit    string
		want    string
	}{
		{21.8e6, 3490, "us", "6,200× faster"}, // never "−100 %"
		{100, 125, "us", "+25 %"},
		{100, 60, "us", "−40 %"},
		{100, 250, "us", "2.5× slower"},
		{40, 130, "rps", "3.2× higher"},
		{50, 20, "rps", "2.5× lower"},
		{100, 100, "us", "no change"},
		{0, 5, "rps", "from 0"},
		{5, 0, "rps", "to 0"},
		{1, 21, "us", "21× slower"},
	}
	for _, tt := range tests {
		if got := changeWords(tt.base, tt.v, tt.unit); got != tt.want {
			t.Errorf("changeWords(%g, %g, %s) = %q, want %q", tt.base, tt.v, tt.unit, got, tt.want)
		}
	}
	if got := latencyWords(30e6, 30*time.Second); got != "≥ 30 s, timeout" {
		t.Errorf("latencyWords at the timeout = %q", got)
	}
	if got := ppWords(0.05, 0.012); got != "−3.8 pp" {
		t.Errorf("ppWords = %q", got)
	}
}

// TestComparisonVerdictLine: a baseline that failed its gate, with its P95
// at the request timeout and part of its load never completed, against an
// optimized run that passes: one coloured verdict line, the change as a
// ratio of the capped value, the load the baseline did not complete, and
// links to both runs' reports.
func TestComparisonVerdictLine(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a, b := filepath.Join(root, "baseline-run"), filepath.Join(root, "optimized-run")
	gates := []string{"p95 < 3s"}
	base := writeFixture(t, a, fixture{Seconds: 10, Seed: 1, Gates: gates, ErrorEvery: 10})
	writeFixture(t, b, fixture{Seconds: 10, Seed: 1, Gates: gates, Scale: 0.01})
	base.Plan.Timeout = 30 * time.Second
	for _, s := range []*record.Stats{&base.Overall} {
		l := *s.LatencyOKUS
		l.P95, l.P99, l.Max = 30e6, 30e6, 30e6
		s.LatencyOKUS = &l
	}
	base.Generator = &record.Generator{Planned: 500, Sent: 500, Completed: 120}
	if err := record.WriteJSON(filepath.Join(a, record.RunFile), base); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "cmp")
	if _, err := Compare([]string{a, b}, out, Options{Labels: []string{"baseline", "optimized"}, EChartsJS: fakeECharts(t)}); err != nil {
		t.Fatal(err)
	}
	src := readFile(t, filepath.Join(out, record.ReportFile))
	page := html.UnescapeString(src)
	for _, want := range []string{
		`<span class="v-fail">baseline FAILS 1 of 1 gate</span>`, `<span class="v-pass">optimized PASSES 1 of 1</span>`,
		"≥ 30 s, timeout", "× faster",
		"baseline did not complete its planned load: planned 500, sent 500, completed 120, 380 in flight at the end",
		`href="../baseline-run/report.html"`, `href="../optimized-run/report.html"`,
		`id="p95endpoints"`, `id="throughput"`, `id="errors"`, `id="inflight"`, `id="distribution"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("comparison page lacks %q", want)
		}
	}
	if strings.Contains(page, "−100 %") {
		t.Error("comparison page says −100 % of a value that is not zero")
	}
	if i, j := strings.Index(src, `id="verdict-line"`), strings.Index(src, `id="beforeafter"`); i < 0 || i > j {
		t.Error("the verdict line is not at the top of the page")
	}
	md := readFile(t, filepath.Join(out, record.SummaryFile))
	if !strings.Contains(md, "**baseline FAILS 1 of 1 gate → optimized PASSES 1 of 1**") {
		t.Errorf("summary.md has no verdict line:\n%s", md)
	}
}

// TestCompareNoErrors: when no run had an error the comparison says so
// instead of drawing lines at zero.
func TestCompareNoErrors(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	writeFixture(t, a, fixture{Seconds: 5, Seed: 1})
	writeFixture(t, b, fixture{Seconds: 5, Seed: 2})
	out := filepath.Join(root, "cmp")
	if _, err := Compare([]string{a, b}, out, Options{Assets: AssetsCDN, Stderr: &strings.Builder{}}); err != nil {
		t.Fatal(err)
	}
	page := readFile(t, filepath.Join(out, record.ReportFile))
	if !strings.Contains(page, "No errors: every request of every run succeeded.") || strings.Contains(page, `id="errors"`) {
		t.Error("a comparison of runs without errors draws an errors chart")
	}
}
