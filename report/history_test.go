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
