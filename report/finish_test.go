package report

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// fakeECharts writes a stand-in for echarts.min.js and returns its path.
func fakeECharts(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "echarts.min.js")
	if err := os.WriteFile(p, []byte("/* fake echarts */ var echarts = {init: function () { return {setOption: function () {}}; }}; '</script>';"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFinishPass(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 20, Seed: 1, Gates: []string{"p95 < 3s", "error_rate < 1%", "cache_hit_rate > 60%"}})
	var stderr bytes.Buffer
	out, err := finish(dir, Options{EChartsJS: fakeECharts(t), Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != record.VerdictPass || out.ExitCode() != 0 || len(out.Gates) != 3 {
		t.Fatalf("outcome %+v, want a pass of 3 gates", out)
	}
	run, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Gates) != 3 || run.Gates[0].Verdict != record.VerdictPass || run.Gates[0].Value == nil {
		t.Errorf("run.json gates %+v, want the 3 verdicts written back", run.Gates)
	}
	html := readFile(t, filepath.Join(dir, record.ReportFile))
	for _, want := range []string{
		`id="verdict" class="banner pass"`, "PASS — all 3 gates hold",
		`id="latency"`, `id="throughput"`, `id="inflight"`, `id="distribution"`,
		// The charts the scenario declares, in its order, with its titles.
		`id="series1"`, "Cache hit rate", `id="series2"`, "Target goroutines and DB pool",
		// A declared chart with nothing to draw says why.
		`id="chart-series3"`, "Not drawn: no interval of the timeline holds db_p95 or db_pool_wait",
		// A run without errors says so instead of drawing an empty chart.
		`id="chart-errors"`, "No errors: every request of the run succeeded.",
		"/* fake echarts */", `'<\/script>'`, // inlined, with the element end escaped
		"p95 &lt; 3s", "search", "chat",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(html, "cdn.jsdelivr") {
		t.Error("report.html references the CDN although ECharts was inlined")
	}
	// The fixture has no RSS: the memory chart says why instead of drawing.
	if !strings.Contains(html, "Not drawn: no interval of the timeline holds rss_bytes") {
		t.Error("the memory chart does not say why it is not drawn")
	}
	if !strings.Contains(html, "Not drawn: the target sent no Server-Timing header") {
		t.Error("the Server-Timing chart does not say why it is not drawn")
	}
	if stderr.Len() != 0 {
		t.Errorf("unexpected stderr: %s", stderr.String())
	}
	for _, f := range []string{record.SummaryFile, record.JUnitFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

func TestFinishFailAndUnknown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fx      fixture
		gates   []string
		verdict string
		code    int
		reason  string
	}{
		// A gate that cannot hold fails: exit 1.
		{"fail", fixture{Seconds: 10}, []string{"p95 < 1us", "error_rate < 1%"}, record.VerdictFail, 1, "failed: p95 < 1us"},
		// The target exposed no cache counter: unknown, exit 2, the gate named.
		{"no cache metric", fixture{Seconds: 10, NoCache: true}, []string{"p95 < 3s", "cache_hit_rate > 60%"}, record.VerdictUnknown, 2, `gate "cache_hit_rate > 60%" cannot be evaluated`},
		// An endpoint that does not exist: unknown.
		{"no endpoint", fixture{Seconds: 10}, []string{"nutrition.p99 < 1s"}, record.VerdictUnknown, 2, `no endpoint named "nutrition"`},
		// Overrides replace the scenario's gates.
		{"override", fixture{Seconds: 10, Gates: []string{"p95 < 1us"}}, []string{"p95 < 10s"}, record.VerdictPass, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			writeFixture(t, dir, tt.fx)
			out, err := finish(dir, Options{Gates: tt.gates, Assets: AssetsCDN})
			if err != nil {
				t.Fatal(err)
			}
			if out.Verdict != tt.verdict || out.ExitCode() != tt.code {
				t.Fatalf("verdict %s exit %d, want %s %d (%v)", out.Verdict, out.ExitCode(), tt.verdict, tt.code, out.Reasons)
			}
			if tt.reason != "" && !strings.Contains(strings.Join(out.Reasons, "\n"), tt.reason) {
				t.Errorf("reasons %q lack %q", out.Reasons, tt.reason)
			}
			html := readFile(t, filepath.Join(dir, record.ReportFile))
			if !strings.Contains(html, `class="banner `+tt.verdict+`"`) {
				t.Errorf("the banner does not say %s", tt.verdict)
			}
		})
	}
}

func TestFinishAbortedRunCannotPass(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	run := writeFixture(t, dir, fixture{Seconds: 10, Gates: []string{"p95 < 10s"}})
	run.Status = record.StatusAborted
	run.Warnings = []string{"generator saturated: 12 % of requests were sent late"}
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	out, err := finish(dir, Options{Assets: AssetsCDN})
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode() != 1 {
		t.Errorf("aborted run: exit %d, want 1", out.ExitCode())
	}
	html := readFile(t, filepath.Join(dir, record.ReportFile))
	for _, want := range []string{"ABORTED", "generator saturated"} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html does not say %q loudly", want)
		}
	}
}

func TestFinishCDNFallback(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 5})
	t.Setenv(EnvEChartsJS, "")
	var stderr bytes.Buffer
	if _, err := finish(dir, Options{Stderr: &stderr, EChartsJS: filepath.Join(t.TempDir(), "absent.js")}); err != nil {
		t.Fatal(err)
	}
	html := readFile(t, filepath.Join(dir, record.ReportFile))
	if !strings.Contains(html, `<script src="`+CDNURL+`"`) || !strings.Contains(html, "needs network") {
		t.Error("the fallback page neither loads the CDN nor says it needs network")
	}
	if !strings.Contains(stderr.String(), "absent.js") || !strings.Contains(stderr.String(), "needs network") {
		t.Errorf("stderr %q does not say that ECharts could not be inlined", stderr.String())
	}
}

func TestBadRunFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spoil func(dir string) error
		want  string // the file the error must name, and what it says
	}{
		{"run.json missing", func(d string) error { return os.Remove(filepath.Join(d, record.RunFile)) }, "run.json: missing"},
		{"run.json corrupt", func(d string) error {
			return os.WriteFile(filepath.Join(d, record.RunFile), []byte(`{"schema": 1, "id": `), 0o644)
		}, "run.json is corrupt"},
		{"run.json newer schema", func(d string) error {
			return os.WriteFile(filepath.Join(d, record.RunFile), []byte(`{"schema": 9}`), 0o644)
		}, "run.json: schema 9"},
		{"timeline corrupt", func(d string) error {
			return os.WriteFile(filepath.Join(d, record.TimelineFile), []byte(`[1,2`), 0o644)
		}, "timeline.json is corrupt"},
		{"hlog corrupt", func(d string) error {
			return os.WriteFile(filepath.Join(d, record.HlogFile), []byte("#[StartTime: 1.000 (seconds since epoch)]\n0.000,1.000,1.0,HISTFAAAA-not-base64!!\n"), 0o644)
		}, "latency.hlog:2 is corrupt"},
		{"hlog garbage", func(d string) error {
			return os.WriteFile(filepath.Join(d, record.HlogFile), []byte("hello\n"), 0o644)
		}, "latency.hlog:1 is corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			writeFixture(t, dir, fixture{Seconds: 5, Gates: []string{"p95 < 3s"}})
			if err := tt.spoil(dir); err != nil {
				t.Fatal(err)
			}
			for name, call := range map[string]func() (record.Outcome, error){
				"Finish": func() (record.Outcome, error) { return finish(dir, Options{Assets: AssetsCDN}) },
				"Gate":   func() (record.Outcome, error) { return Gate(dir, Options{}, &bytes.Buffer{}) },
			} {
				out, err := call()
				if err == nil {
					t.Fatalf("%s: no error", name)
				}
				if !strings.Contains(err.Error(), filepath.Join(dir, "")) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: error %q, want the path and %q", name, err, tt.want)
				}
				if out.ExitCode() != 2 {
					t.Errorf("%s: exit %d, want 2", name, out.ExitCode())
				}
			}
			if _, err := os.Stat(filepath.Join(dir, record.ReportFile)); !errors.Is(err, os.ErrNotExist) {
				t.Error("a report was written for a broken run")
			}
		})
	}
}

func TestMissingOptionalFilesAreNoted(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 5, Gates: []string{"p95 < 3s"}})
	os.Remove(filepath.Join(dir, record.HlogFile))
	os.Remove(filepath.Join(dir, record.TimelineFile))
	out, err := finish(dir, Options{Assets: AssetsCDN})
	if err != nil {
		t.Fatal(err)
	}
	// The gates read run.json, so they still hold.
	if out.ExitCode() != 0 {
		t.Errorf("exit %d, want 0", out.ExitCode())
	}
	html := readFile(t, filepath.Join(dir, record.ReportFile))
	for _, want := range []string{"latency.hlog is missing", "timeline.json is missing", "Not drawn"} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html does not say %q", want)
		}
	}
}

func TestGateTable(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 10, Gates: []string{"p95 < 3s", "p99 < 1ms"}})
	before := readFile(t, filepath.Join(dir, record.RunFile))
	var buf bytes.Buffer
	out, err := Gate(dir, Options{}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode() != 1 {
		t.Errorf("exit %d, want 1", out.ExitCode())
	}
	text := buf.String()
	for _, want := range []string{"GATE", "p95 < 3s", "PASS", "p99 < 1ms", "FAIL", "over by", "FAIL — 1 of 2 gates failed"} {
		if !strings.Contains(text, want) {
			t.Errorf("gate table lacks %q:\n%s", want, text)
		}
	}
	if readFile(t, filepath.Join(dir, record.RunFile)) != before {
		t.Error("Gate changed run.json")
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
