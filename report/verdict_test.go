package report

import (
	"bytes"
	"html"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// judgedRun writes a run whose scenario gate holds and finishes it with a
// gate that replaces it and fails, as `loadgate run --gate 'p95 < 1ms'`
// does.
func judgedRun(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 10, Seed: 1, Gates: []string{"p95 < 3s"}})
	out, err := finish(dir, Options{Gates: []string{"p95 < 1ms"}, Assets: AssetsCDN})
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != record.VerdictFail {
		t.Fatalf("verdict %s, want fail", out.Verdict)
	}
	return dir
}

// runFiles reads every file of a run directory the verdict shows in.
func runFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, f := range []string{record.RunFile, record.ReportFile, record.SummaryFile, record.JUnitFile} {
		m[f] = readFile(t, filepath.Join(dir, f))
	}
	return m
}

func checkUnchanged(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	for f, b := range before {
		if readFile(t, filepath.Join(dir, f)) != b {
			t.Errorf("%s was rewritten", f)
		}
	}
}

func TestFinishRecordsWhatJudgedTheRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		override  []string
		gates     []string
		source    string
		verdict   string
		recGates  []string
		baselined bool
	}{
		// The scenario's gates judge the run.
		{"scenario", nil, []string{"p95 < 3s"}, record.GatesFromScenario, record.VerdictPass, []string{"p95 < 3s"}, false},
		// Gates given in their place (run --gate) judge it instead.
		{"override", []string{"p95 < 1ms"}, []string{"p95 < 1ms"}, record.GatesOverride, record.VerdictFail, []string{"p95 < 1ms"}, false},
		// An empty override: no gates, a pass, and the record says so.
		{"no gates", []string{}, []string{}, record.GatesOverride, record.VerdictPass, []string{}, false},
		// A baseline adds its regression gate to the record.
		{"baseline", nil, []string{"p95 < 3s"}, record.GatesFromScenario, record.VerdictPass, []string{"p95 < 3s", "p95 regression vs baseline <= 10 %"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "run")
			writeFixture(t, dir, fixture{Seconds: 10, Seed: 1, Gates: []string{"p95 < 3s"}})
			o := Options{Gates: tt.override, Assets: AssetsCDN}
			if tt.baselined {
				o.Baseline = filepath.Join(root, "base")
				writeFixture(t, o.Baseline, fixture{Seconds: 10, Seed: 1})
			}
			if _, err := finish(dir, o); err != nil {
				t.Fatal(err)
			}
			run, err := record.ReadRun(dir)
			if err != nil {
				t.Fatal(err)
			}
			j := run.Judged
			if j == nil {
				t.Fatal("run.json records nothing of what judged the run")
			}
			if !slices.Equal(j.Gates, tt.gates) || j.Source != tt.source || j.Verdict != tt.verdict {
				t.Errorf("judged %+v, want gates %q from %s, verdict %s", j, tt.gates, tt.source, tt.verdict)
			}
			if j.Baseline != o.Baseline || (tt.baselined && j.MaxRegression["p95"] != DefaultMaxRegression) {
				t.Errorf("judged baseline %q %v, want %q with its limits", j.Baseline, j.MaxRegression, o.Baseline)
			}
			var exprs []string
			for _, g := range run.Gates {
				exprs = append(exprs, g.Expr)
			}
			if len(exprs) != len(tt.recGates) || (len(exprs) > 0 && !slices.Equal(exprs, tt.recGates)) {
				t.Errorf("run.json gates %q, want %q", exprs, tt.recGates)
			}
		})
	}
}

// TestRenderKeepsRecordedVerdict is `make report RUN=DIR` on a run judged
// by --gate: the page, summary and JUnit say the recorded verdict, not one
// by the scenario's gates, and run.json stays as it was.
func TestRenderKeepsRecordedVerdict(t *testing.T) {
	t.Parallel()
	dir := judgedRun(t)
	runJSON := readFile(t, filepath.Join(dir, record.RunFile))
	out, err := Render(dir, Options{Assets: AssetsCDN})
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != record.VerdictFail || len(out.Gates) != 1 || out.Gates[0].Expr != "p95 < 1ms" {
		t.Fatalf("re-rendered outcome %s %+v, want the recorded fail of p95 < 1ms", out.Verdict, out.Gates)
	}
	page := readFile(t, filepath.Join(dir, record.ReportFile))
	if !strings.Contains(page, `class="banner fail"`) || !strings.Contains(page, "p95 &lt; 1ms") || strings.Contains(page, "p95 &lt; 3s") {
		t.Error("report.html does not show the recorded verdict (p95 < 1ms, fail)")
	}
	md := html.UnescapeString(tagRE.ReplaceAllString(markdownHTML(t, readFile(t, filepath.Join(dir, record.SummaryFile))), ""))
	if !strings.Contains(md, "p95 < 1ms") || strings.Contains(md, "p95 < 3s") || !strings.Contains(md, "FAIL") {
		t.Errorf("summary.md does not show the recorded verdict:\n%s", md)
	}
	junit := readFile(t, filepath.Join(dir, record.JUnitFile))
	if !strings.Contains(junit, `name="p95 &lt; 1ms"`) || strings.Contains(junit, "3s") {
		t.Errorf("junit.xml does not hold the recorded gate:\n%s", junit)
	}
	if readFile(t, filepath.Join(dir, record.RunFile)) != runJSON {
		t.Error("Render rewrote run.json")
	}
}

// TestRenderRefusesOtherGates: a re-render cannot judge by other gates
// than the recorded ones; nothing is written.
func TestRenderRefusesOtherGates(t *testing.T) {
	t.Parallel()
	dir := judgedRun(t)
	before := runFiles(t, dir)
	for name, o := range map[string]Options{
		"gates":    {Gates: []string{"p95 < 3s"}, Assets: AssetsCDN},
		"baseline": {Baseline: dir, Assets: AssetsCDN},
	} {
		if _, err := Render(dir, o); err == nil || !strings.Contains(err.Error(), "recorded") {
			t.Errorf("%s: Render error %v, want a refusal that names the recorded verdict", name, err)
		}
	}
	checkUnchanged(t, dir, before)
}

// TestGateUsesRecordedVerdict is `loadgate gate DIR` on a run judged by
// --gate: the recorded gates, the recorded verdict, said so.
func TestGateUsesRecordedVerdict(t *testing.T) {
	t.Parallel()
	dir := judgedRun(t)
	before := runFiles(t, dir)
	var buf bytes.Buffer
	out, err := Gate(dir, Options{}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	if out.ExitCode() != 1 || !strings.Contains(text, "p95 < 1ms") || strings.Contains(text, "p95 < 3s") {
		t.Errorf("exit %d, table:\n%s\nwant the recorded fail of p95 < 1ms", out.ExitCode(), text)
	}
	if !strings.Contains(text, "the run's recorded verdict") {
		t.Errorf("the table does not say it is the recorded verdict:\n%s", text)
	}
	checkUnchanged(t, dir, before)
}

// TestGateAdHocSaysSo is `loadgate gate DIR --gate X`: X is evaluated and
// decides the exit code, the table says these are ad-hoc gates and what
// the recorded verdict is, and nothing of the run is rewritten.
func TestGateAdHocSaysSo(t *testing.T) {
	t.Parallel()
	dir := judgedRun(t)
	before := runFiles(t, dir)
	var buf bytes.Buffer
	out, err := Gate(dir, Options{Gates: []string{"p95 < 3s"}}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	if out.ExitCode() != 0 || !strings.Contains(text, "p95 < 3s") {
		t.Errorf("exit %d, table:\n%s\nwant the ad-hoc pass of p95 < 3s", out.ExitCode(), text)
	}
	for _, want := range []string{"ad-hoc gates, not the run's recorded verdict", "recorded: FAIL"} {
		if !strings.Contains(text, want) {
			t.Errorf("the table does not say %q:\n%s", want, text)
		}
	}
	checkUnchanged(t, dir, before)
}

// TestUnjudgedRunSaysSo: a run no verdict was recorded for (the runner's
// output before Finish) is judged by its scenario's gates, and says that
// this is not a recorded verdict.
func TestUnjudgedRunSaysSo(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 10, Gates: []string{"p95 < 1ms"}})
	var buf bytes.Buffer
	out, err := Gate(dir, Options{}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode() != 1 || !strings.Contains(buf.String(), "no recorded verdict") {
		t.Errorf("exit %d, table:\n%s\nwant the scenario's gate, said to be no recorded verdict", out.ExitCode(), buf.String())
	}
	if _, err := Render(dir, Options{Assets: AssetsCDN}); err != nil {
		t.Fatal(err)
	}
	if page := readFile(t, filepath.Join(dir, record.ReportFile)); !strings.Contains(page, "no recorded verdict") {
		t.Error("report.html of an unjudged run does not say that its verdict was not recorded")
	}
}

// TestLegacyRecordedGates: a run.json written before the record existed
// holds its evaluated gates; those are its verdict, not the scenario's.
func TestLegacyRecordedGates(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	run := writeFixture(t, dir, fixture{Seconds: 10, Gates: []string{"p95 < 3s"}})
	v := run.Overall.LatencyUS.P95
	run.Gates = []record.Gate{{Expr: "p95 < 1ms", Value: &v, Threshold: 1000, Unit: "us", Verdict: record.VerdictFail, Message: "P95 is over 1 ms"}}
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	out, err := Gate(dir, Options{}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode() != 1 || !strings.Contains(buf.String(), "p95 < 1ms") {
		t.Errorf("exit %d, table:\n%s\nwant the recorded fail", out.ExitCode(), buf.String())
	}
}

// TestJudgedRecordMismatch: a record whose gates do not match the gate
// results beside it is a corrupt run.json, not a verdict.
func TestJudgedRecordMismatch(t *testing.T) {
	t.Parallel()
	dir := judgedRun(t)
	run, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if run.Judged == nil {
		t.Fatal("run.json records nothing of what judged the run")
	}
	run.Judged.Gates = []string{"p95 < 1ms", "error_rate < 1%"}
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	out, err := Gate(dir, Options{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), record.RunFile) || out.ExitCode() != 2 {
		t.Errorf("error %v exit %d, want an error naming run.json, exit 2", err, out.ExitCode())
	}
}

// TestGateBaselineSaysSo is `loadgate gate DIR --baseline B`: the run's
// recorded gates and a regression check, said not to be the recorded
// verdict; nothing is rewritten.
func TestGateBaselineSaysSo(t *testing.T) {
	t.Parallel()
	dir := judgedRun(t)
	base := filepath.Join(t.TempDir(), "base")
	writeFixture(t, base, fixture{Seconds: 10, Seed: 1})
	before := runFiles(t, dir)
	var buf bytes.Buffer
	out, err := Gate(dir, Options{Baseline: base}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, g := range out.Gates {
		exprs = append(exprs, g.Expr)
	}
	if len(exprs) != 2 || exprs[0] != "p95 < 1ms" || !strings.Contains(exprs[1], "regression vs baseline") {
		t.Errorf("gates %q, want the recorded p95 < 1ms and the regression check", exprs)
	}
	for _, want := range []string{"regression check against " + base, "not the run's recorded verdict", "recorded: FAIL"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the table does not say %q:\n%s", want, buf.String())
		}
	}
	checkUnchanged(t, dir, before)
}

// TestFailOutranksUnknown: a run with a failed gate fails (exit 1) even
// when another gate could not be evaluated; the table still marks that
// one unknown and says why (issue 19: CI reads exit 2 as broken
// infrastructure, not as a regression).
func TestFailOutranksUnknown(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 10, Seed: 1, Gates: []string{"p95 < 1us", "db_p99 < 5ms", "error_rate < 1%"}})
	out, err := finish(dir, Options{Assets: AssetsCDN})
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != record.VerdictFail || out.ExitCode() != 1 {
		t.Errorf("verdict %s, exit %d; want fail, 1", out.Verdict, out.ExitCode())
	}
	if h := out.Headline(); h != "FAIL — 1 of 3 gates failed, 1 could not be evaluated" {
		t.Errorf("headline %q", h)
	}
	var buf bytes.Buffer
	if _, err := Gate(dir, Options{}, &buf); err != nil {
		t.Fatal(err)
	}
	table := buf.String()
	for _, w := range []string{"FAIL\n", "UNKNOWN\n", "unknown: gate \"db_p99 < 5ms\" cannot be evaluated", "FAIL — 1 of 3 gates failed, 1 could not be evaluated"} {
		if !strings.Contains(table, w) {
			t.Errorf("table lacks %q:\n%s", w, table)
		}
	}
}
