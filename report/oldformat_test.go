package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// TestOldRunReportAndGate: a run directory written before named series
// (the reference target's figures in run.json's fixed fields and the
// timeline's old keys) still draws its charts and facts, and its gates on
// the cache hit rate and the DB query P95 are evaluated, recorded or given.
func TestOldRunReportAndGate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "old")
	writeFixture(t, dir, fixture{Seconds: 6, Seed: 9, DBQueryMs: 3, RSS: func(int) float64 { return 64 << 20 },
		Gates: []string{"p95 < 3s", "cache_hit_rate > 60%", "db_p95 < 5ms"}, OldFormat: true})
	if data := readFile(t, filepath.Join(dir, record.RunFile)); !strings.Contains(data, `"db_query_p95_seconds"`) || strings.Contains(data, `"series"`) {
		t.Fatalf("the fixture is not in the old format:\n%s", data)
	}
	// No recorded verdict: the report judges it by its scenario's gates.
	out, err := Render(dir, Options{EChartsJS: fakeECharts(t), Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != record.VerdictPass || len(out.Gates) != 3 || out.Gates[2].Value == nil || *out.Gates[2].Value != 0.003 {
		t.Errorf("outcome %+v, want the 3 gates to pass, db_p95 at 3 ms", out)
	}
	html := readFile(t, filepath.Join(dir, record.ReportFile))
	for _, want := range []string{
		"<dt>cache hit rate</dt><dd>70 %</dd>", "<dt>DB query P95</dt><dd>3 ms</dd>", "<dt>target memory</dt><dd>64 MiB peak RSS</dd>",
		`data-chart="series1"`, `"name":"cache hit rate"`, `data-chart="series3"`,
		// The old db_query_p95_ms, read as db_p95 in seconds, drawn in ms.
		`"name":"DB query P95","type":"line","showSymbol":false,"data":[{"value":[2,3]}`,
		`data-chart="memory"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// loadgate gate RUN --gate …: gates given in place, on the old fields.
	var table bytes.Buffer
	out, err = Gate(dir, Options{Gates: []string{"cache_hit_rate > 80%", "server.cache_hit_rate > 60%", "db_p99 < 1ms"}}, &table)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Gates) != 3 || out.Gates[0].Verdict != record.VerdictFail || out.Gates[1].Verdict != record.VerdictPass || out.Gates[2].Verdict != record.VerdictFail {
		t.Errorf("gates on the old run: %+v\n%s", out.Gates, table.String())
	}
}
