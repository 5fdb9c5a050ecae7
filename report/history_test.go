package report

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// pastOf is the run directory dir as a history store keeps it: run.json's
// facts and each second of the successful requests of every series.
func pastOf(t testing.TB, dir string) record.PastRun {
	t.Helper()
	d, err := loadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := record.PastRun{Key: dir, Dir: dir, Run: d.Run, Seconds: map[string][]record.Second{}}
	for _, ep := range append([]string{""}, endpointNames(d.Run)...) {
		for _, iv := range d.seriesOf(ep, record.OK).Intervals {
			p.Seconds[ep] = append(p.Seconds[ep], record.Second{T: iv.T, Count: iv.Count,
				Latency: record.Latency{P50: iv.P50, P90: iv.P90, P95: iv.P95, P99: iv.P99, P999: iv.P999, Max: iv.Max}})
		}
	}
	return p
}

// TestRegressionAgainstHistory: a run checked against several past runs
// (their seconds pooled, their median the baseline's value) fails only
// for a slowdown beyond noise, records which runs it used, and with no
// past run its regression gate is unknown.
func TestRegressionAgainstHistory(t *testing.T) {
	t.Parallel()
	gates := []string{"p95 < 3s"}
	var past []record.PastRun
	for i := 0; i < 3; i++ {
		dir := filepath.Join(t.TempDir(), fmt.Sprint("past", i))
		writeFixture(t, dir, fixture{Seconds: 10, Seed: uint64(10 + i), Gates: gates})
		p := pastOf(t, dir)
		p.Run.Commit = fmt.Sprint("c", i)
		past = append(past, p)
	}
	basis := "the last 3 completed runs of plan x on branch main"
	tests := []struct {
		name    string
		fx      fixture
		past    []record.PastRun
		verdict string
		says    string
	}{
		// Another sample of the same distribution: within noise.
		{"rerun", fixture{Seconds: 20, Seed: 1, Gates: gates}, past, record.VerdictPass, "no significant change"},
		// 50 % slower than every past run: beyond noise.
		{"slowed", fixture{Seconds: 20, Seed: 1, Scale: 1.5, Gates: gates}, past, record.VerdictFail, "allowed +10 %"},
		// Nothing to compare with: unknown, saying why.
		{"none", fixture{Seconds: 20, Seed: 1, Gates: gates}, nil, record.VerdictUnknown, "no baseline in history: " + basis},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			writeFixture(t, dir, tt.fx)
			out, err := finish(dir, Options{Baseline: BaselineHistory, Baselines: tt.past, BaselineBasis: basis, Assets: AssetsCDN, Stderr: &bytes.Buffer{}})
			if err != nil {
				t.Fatal(err)
			}
			if out.Verdict != tt.verdict {
				t.Errorf("verdict %s, want %s: %+v", out.Verdict, tt.verdict, out.Gates)
			}
			reg := out.Gates[len(out.Gates)-1]
			if !strings.HasPrefix(reg.Expr, "p95 regression vs baseline") || !strings.Contains(reg.Message, tt.says) {
				t.Errorf("regression gate %q says %q, want %q", reg.Expr, reg.Message, tt.says)
			}
			run, err := record.ReadRun(dir)
			if err != nil {
				t.Fatal(err)
			}
			jm := run.Judged
			if jm.Baseline != BaselineHistory || jm.BaselineBasis != basis || len(jm.BaselineRuns) != len(tt.past) {
				t.Fatalf("judged = %+v", jm)
			}
			if len(tt.past) > 0 && jm.BaselineRuns[2] != past[2].Run.ID+"@c2" {
				t.Errorf("baseline runs = %q", jm.BaselineRuns)
			}
			// The recorded verdict, read back, says what it was checked against.
			var buf bytes.Buffer
			if _, err := Gate(dir, Options{}, &buf); err != nil {
				t.Fatal(err)
			}
			html := readFile(t, filepath.Join(dir, record.ReportFile))
			if !strings.Contains(html, "Checked for regressions against history") {
				t.Errorf("report.html does not say the check was against history")
			}
		})
	}
}

// TestCompareRunsTellsSetsApart: the test bisect uses, set against set.
func TestCompareRunsTellsSetsApart(t *testing.T) {
	t.Parallel()
	set := func(scale float64, seed uint64) []record.PastRun {
		var out []record.PastRun
		for i := 0; i < 2; i++ {
			dir := filepath.Join(t.TempDir(), "r")
			writeFixture(t, dir, fixture{Seconds: 8, Seed: seed + uint64(i), Scale: scale})
			out = append(out, pastOf(t, dir))
		}
		return out
	}
	good, same, slow := set(1, 1), set(1, 5), set(2, 9)
	d, err := CompareRuns(good, slow, "search.p95", 0)
	if err != nil || !d.Significant || d.Change < 0.8 {
		t.Errorf("slow vs good: %+v, %v", d, err)
	}
	d, err = CompareRuns(good, same, "search.p95", 0)
	if err != nil || d.Significant {
		t.Errorf("same vs good: %+v, %v", d, err)
	}
	if _, err := CompareRuns(good, same, "nope.p95", 0); err == nil || !strings.Contains(err.Error(), `no endpoint "nope"`) {
		t.Errorf("absent endpoint: %v", err)
	}
}

// trendRuns makes n past runs of one plan, the last one slower and failed,
// each with a report.html (but the first, whose directory is gone).
func trendRuns(t *testing.T, root string, n int) []record.PastRun {
	var runs []record.PastRun
	for i := 0; i < n; i++ {
		dir := filepath.Join(root, fmt.Sprint("run", i))
		fx := fixture{Seconds: 8, Seed: uint64(i + 1), Gates: []string{"p95 < 1s"}}
		if i == n-1 {
			fx.Scale, fx.Gates = 2, []string{"p95 < 1ms"}
		}
		writeFixture(t, dir, fx)
		if _, err := finish(dir, Options{Assets: AssetsCDN, Stderr: &bytes.Buffer{}}); err != nil {
			t.Fatal(err)
		}
		p := pastOf(t, dir)
		p.Run.Commit = fmt.Sprintf("c%d", i)
		p.Run.Judged = &record.Judgement{Verdict: p.Run.Judged.Verdict}
		if i == 0 {
			p.Dir = filepath.Join(root, "gone")
		}
		runs = append(runs, p)
	}
	return runs
}

// TestTrendPage: the page has a chart for the whole run and one per
// endpoint, the noise band of the baseline runs, each verdict marked, and
// links to the reports that are there (relative to the page) only.
func TestTrendPage(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	runs := trendRuns(t, root, 4)
	out := filepath.Join(root, "trend", "steady.html")
	tr := Trend{Scenario: "steady", PlanHash: "sha256:abc", Runs: runs, Baseline: runs[:3], BaselineBasis: "the last 3 completed runs of plan sha256:abc on branch main"}
	if err := RenderTrend(out, tr, Options{Assets: AssetsCDN, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	page := readFile(t, out)
	for _, want := range []string{
		`id="chart-trend0"`, `id="chart-trend1"`, `id="chart-trend2"`, // all, chat, search
		`noise band: P95 of 3 baseline runs`,
		`"link":"../run1/report.html"`, `href="../run1/report.html"`,
		`"symbol":"triangle"`, // the failed last run
		`(gone)`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the trend page lacks %q", want)
		}
	}
	if strings.Contains(page, `"link":"../gone`) {
		t.Error("a run whose directory is gone is linked")
	}
}

func TestTrendInBrowser(t *testing.T) {
	t.Parallel()
	chromium, echarts := needBrowser(t)
	root := t.TempDir()
	runs := trendRuns(t, root, 3)
	runs[1].Branch = hostile("branch")
	runs[1].Run.Commit = hostile("commit")
	out := filepath.Join(root, "trend.html")
	if err := RenderTrend(out, Trend{Scenario: hostile("scenario"), Runs: runs, Baseline: runs[:2], BaselineBasis: "two"},
		Options{EChartsJS: echarts, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	checkInBrowser(t, chromium, out, 3)
}
