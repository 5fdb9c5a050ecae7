package report

import (
	"bytes"
	"html"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

func TestMannWhitney(t *testing.T) {
	t.Parallel()
	// Identical samples: no evidence at all.
	a := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	if p := mannWhitney(a, a); p < 0.9 {
		t.Errorf("identical samples: p = %g, want about 1", p)
	}
	// Completely separated samples of 10 each: U = 0, z ≈ 3.74, p ≈ 0.00018.
	var lo, hi []float64
	for i := 0; i < 10; i++ {
		lo = append(lo, float64(i))
		hi = append(hi, float64(100+i))
	}
	if p := mannWhitney(lo, hi); p > 0.001 || p < 0.0001 {
		t.Errorf("separated samples: p = %g, want about 0.00018", p)
	}
	// Symmetric: the order of the samples does not matter.
	if p1, p2 := mannWhitney(lo, hi), mannWhitney(hi, lo); math.Abs(p1-p2) > 1e-12 {
		t.Errorf("asymmetric: %g vs %g", p1, p2)
	}
	// All tied, or empty: 1.
	if p := mannWhitney([]float64{5, 5, 5}, []float64{5, 5}); p != 1 {
		t.Errorf("all tied: p = %g, want 1", p)
	}
	if p := mannWhitney(nil, a); p != 1 {
		t.Errorf("empty: p = %g, want 1", p)
	}
}

// writePair writes a baseline and a second run of the same shape into a
// temporary directory.
func writePair(t *testing.T, base, other fixture) (string, string) {
	t.Helper()
	root := t.TempDir()
	a, b := filepath.Join(root, "baseline"), filepath.Join(root, "candidate")
	writeFixture(t, a, base)
	writeFixture(t, b, other)
	return a, b
}

func TestRegressionCheck(t *testing.T) {
	t.Parallel()
	gates := []string{"p95 < 3s"}
	tests := []struct {
		name    string
		other   fixture
		limits  map[string]float64
		verdict string
		says    string
	}{
		// The same data twice: no significant change.
		{"same data", fixture{Seconds: 20, Seed: 1, Gates: gates}, nil, record.VerdictPass, "no significant change"},
		// Another sample of the same distribution (a noisy rerun): within noise.
		{"rerun", fixture{Seconds: 20, Seed: 9, Gates: gates}, nil, record.VerdictPass, "no significant change"},
		// Every request 50 % slower: a significant regression beyond 10 %.
		{"slowed", fixture{Seconds: 20, Seed: 1, Scale: 1.5, Gates: gates}, nil, record.VerdictFail, "P95 +50 %"},
		// The same slowdown is allowed under a looser limit.
		{"slowed but allowed", fixture{Seconds: 20, Seed: 1, Scale: 1.5, Gates: gates}, map[string]float64{"p95": 0.6}, record.VerdictPass, "P95 +50 %"},
		// Faster is never a regression.
		{"faster", fixture{Seconds: 20, Seed: 1, Scale: 0.5, Gates: gates}, nil, record.VerdictPass, "P95 2.0× faster"},
		// Per endpoint, and an endpoint the runs do not have.
		{"endpoint", fixture{Seconds: 20, Seed: 1, Scale: 1.5, Gates: gates}, map[string]float64{"search.p99": 0.1}, record.VerdictFail, "search P99 +50 %"},
		{"absent endpoint", fixture{Seconds: 20, Seed: 1, Gates: gates}, map[string]float64{"nutrition.p95": 0.1}, record.VerdictUnknown, `no endpoint "nutrition"`},
	}
	base := filepath.Join(t.TempDir(), "baseline")
	writeFixture(t, base, fixture{Seconds: 20, Seed: 1, Gates: gates})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := filepath.Join(t.TempDir(), "candidate")
			writeFixture(t, cur, tt.other)
			var buf bytes.Buffer
			out, err := Gate(cur, Options{Baseline: base, MaxRegression: tt.limits}, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if out.Verdict != tt.verdict {
				t.Errorf("verdict %s, want %s:\n%s", out.Verdict, tt.verdict, buf.String())
			}
			reg := out.Gates[len(out.Gates)-1]
			if !strings.Contains(reg.Message, tt.says) {
				t.Errorf("regression gate says %q, want %q", reg.Message, tt.says)
			}
			if !strings.Contains(buf.String(), "Against the baseline:") {
				t.Errorf("the gate table has no baseline deltas:\n%s", buf.String())
			}
		})
	}
}

func TestBaselineMissing(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 5})
	absent := filepath.Join(t.TempDir(), "nope")
	out, err := Gate(dir, Options{Baseline: absent}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(absent, record.RunFile)) || out.ExitCode() != 2 {
		t.Errorf("absent baseline: %v (exit %d), want an error naming %s and exit 2", err, out.ExitCode(), absent)
	}
}

func TestParseMaxRegression(t *testing.T) {
	t.Parallel()
	got, err := ParseMaxRegression("p95=10%, search.p99=0.2")
	if err != nil {
		t.Fatal(err)
	}
	if got["p95"] != 0.1 || got["search.p99"] != 0.2 || len(got) != 2 {
		t.Errorf("got %v", got)
	}
	for _, bad := range []string{"", "p95", "p95=", "p97=10%", "p95=fast", "p95=-1%"} {
		if _, err := ParseMaxRegression(bad); err == nil {
			t.Errorf("ParseMaxRegression(%q): no error", bad)
		}
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	base, slow := writePair(t, fixture{Seconds: 20, Seed: 1, Gates: []string{"p95 < 3s", "p99 < 200ms"}}, fixture{Seconds: 20, Seed: 1, Scale: 2})
	out := filepath.Join(t.TempDir(), "cmp")
	c, err := Compare([]string{base, slow}, out, Options{Labels: []string{"baseline", "slowed"}, EChartsJS: fakeECharts(t)})
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Join(c.Words, "\n")
	for _, want := range []string{"all endpoints P95 2.0× slower", "search P95 2.0× slower", "chat P95 2.0× slower", " → "} {
		if !strings.Contains(words, want) {
			t.Errorf("comparison words lack %q:\n%s", want, words)
		}
	}
	page := html.UnescapeString(readFile(t, filepath.Join(out, record.ReportFile)))
	for _, want := range []string{"baseline vs slowed", `id="distribution"`, `id="latency"`, "search P95", "2.0× slower", "p99 < 200ms", "/* fake echarts */"} {
		if !strings.Contains(page, want) {
			t.Errorf("comparison page lacks %q", want)
		}
	}
	md := readFile(t, filepath.Join(out, record.SummaryFile))
	if !strings.Contains(md, "| | baseline | slowed |") || !strings.Contains(md, "all endpoints P95 2.0× slower") {
		t.Errorf("comparison summary:\n%s", md)
	}

	// The same data under two names: no significant change anywhere.
	c, err = Compare([]string{base, base}, filepath.Join(t.TempDir(), "same"), Options{Assets: AssetsCDN})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.Words {
		if !strings.Contains(w, "no significant change") {
			t.Errorf("same data: %q", w)
		}
	}
	if len(c.Labels) != 2 || c.Labels[0] == "" {
		t.Errorf("labels %v", c.Labels)
	}

	// Errors: one run, a label count that does not match, a broken run.
	if _, err := Compare([]string{base}, out, Options{}); err == nil {
		t.Error("one run: no error")
	}
	if _, err := Compare([]string{base, slow}, out, Options{Labels: []string{"a"}}); err == nil {
		t.Error("one label for two runs: no error")
	}
	os.WriteFile(filepath.Join(slow, record.RunFile), []byte("{"), 0o644)
	if _, err := Compare([]string{base, slow}, out, Options{}); err == nil || !strings.Contains(err.Error(), filepath.Join(slow, record.RunFile)) {
		t.Errorf("corrupt run: %v", err)
	}
}

// TestHeadlineRows checks the before/after table's cells: relative change
// for latencies and rates, percentage points for ratios, which way is
// better, and "—" where a run lacks the metric.
func TestHeadlineRows(t *testing.T) {
	t.Parallel()
	// The headline series of the built-in scenarios, and one of the
	// second run's own that says no way is better.
	series, _ := record.OldSeries()
	queue := record.Series{Name: "queue", Title: "queue depth", Unit: record.UnitCount, Headline: true}
	// Latencies are the successful requests' (all requests' differ).
	before := &record.Run{Overall: record.Stats{Requests: 100, Successes: 98, ErrorRate: 0.02,
		LatencyUS: record.Latency{P95: 1.9e6, Mean: 0.9e6}, LatencyOKUS: &record.Latency{P95: 2.1e6, Mean: 1e6}, Rate: record.Rate{Achieved: 40}},
		Plan:   record.Plan{Series: series},
		Server: record.Server{Series: map[string]float64{"cache_hit_rate": 0, "db_p95": 0.05, "db_p99": 0.1}}}
	after := &record.Run{Overall: record.Stats{Requests: 100, Successes: 99, ErrorRate: 0.01,
		LatencyUS: record.Latency{P95: 200e3, Mean: 0.8e6}, LatencyOKUS: &record.Latency{P95: 270e3, Mean: 1e6}, Rate: record.Rate{Achieved: 50}},
		Plan:   record.Plan{Series: append(series, queue)},
		Server: record.Server{Series: map[string]float64{"cache_hit_rate": 0.8, "queue": 12}}}
	want := map[string][2]string{
		"P95 latency (successful)":      {"270 ms", "7.8× faster (better)"},
		"average response (successful)": {"1 s", "no change"},
		"error rate":                    {"1 %", "−1.0 pp (better)"},
		"cache hit rate":                {"80 %", "+80 pp (better)"},
		"DB query P95":                  {"—", "—"},
		"queue depth":                   {"12", "—"},
		"achieved rate (completed)":     {"50/s", "+25 % (better)"},
	}
	rows := headlineRows([]*record.Run{before, after})
	if len(rows) != len(want) || rows[3].Metric != "cache hit rate" || rows[5].Metric != "queue depth" {
		t.Fatalf("%d rows %+v, want %d: the load's, then the headline series in order", len(rows), rows, len(want))
	}
	for _, r := range rows {
		w, ok := want[r.Metric]
		if !ok {
			t.Errorf("unexpected row %q", r.Metric)
			continue
		}
		if len(r.Values) != 2 || len(r.Changes) != 1 || r.Values[1] != w[0] || r.Changes[0] != w[1] {
			t.Errorf("%s: values %q changes %q, want after %q and change %q", r.Metric, r.Values, r.Changes, w[0], w[1])
		}
	}
	// A series that says no way is better: the change, not judged.
	if got := headlineChange(headlineMetric{unit: "count"}, 10, 12); got != "+20 %" {
		t.Errorf("an unjudged change: %q", got)
	}
	if got := headlineHeader([]string{"baseline", "optimized"}); strings.Join(got, ",") != "metric,baseline,optimized,change" {
		t.Errorf("header %q", got)
	}
}

// TestCompareTooShortToTest: runs too short for the rank test still get a
// plain-words line with both values, saying why it is untested.
func TestCompareTooShortToTest(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	writeFixture(t, a, fixture{Seconds: 3, Seed: 1})
	writeFixture(t, b, fixture{Seconds: 3, Seed: 1, Scale: 2})
	c, err := Compare([]string{a, b}, filepath.Join(root, "cmp"), Options{Assets: AssetsCDN, Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Words) == 0 || !strings.HasPrefix(c.Words[0], "all endpoints P95 2.0× slower") || !strings.Contains(c.Words[0], " → ") ||
		!strings.Contains(c.Words[0], "too few per-second samples to test against noise: 3 and 3") {
		t.Errorf("words %q, want the whole run's P95 change, both values and why it is untested", c.Words)
	}
}

// TestCompareNotes: a label that contradicts the run's profile, and runs
// of different scenarios, are said.
func TestCompareNotes(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	writeFixture(t, a, fixture{Seconds: 6, Seed: 1, Profile: "baseline"})
	writeFixture(t, b, fixture{Seconds: 6, Seed: 2})
	run, err := record.ReadRun(b)
	if err != nil {
		t.Fatal(err)
	}
	run.Profile = "baseline"
	if err := record.WriteJSON(filepath.Join(b, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "cmp")
	if _, err := Compare([]string{a, b}, out, Options{Assets: AssetsCDN, Labels: []string{"baseline", "optimized"}, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	if md := readFile(t, filepath.Join(out, record.SummaryFile)); !strings.Contains(md, "the run labelled optimized was made against a target in the baseline profile") {
		t.Errorf("summary.md does not flag the contradicting label:\n%s", md)
	}
	run.Profile, run.Scenario = "", "spike"
	if err := record.WriteJSON(filepath.Join(b, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	if _, err := Compare([]string{a, b}, out, Options{Assets: AssetsCDN, Labels: []string{"baseline", "optimized"}, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	if md := readFile(t, filepath.Join(out, record.SummaryFile)); !strings.Contains(md, "different scenarios") {
		t.Errorf("summary.md does not flag runs of different scenarios:\n%s", md)
	}
}
