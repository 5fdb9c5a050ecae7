package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// oldRunJSON is a run.json as a loadgate from before redaction wrote it: the
// target URL with its password, the metrics URL with a token, and a warning
// quoting both, as written. Hand-written, with nothing else in the
// directory (no timeline, no latency log).
const oldRunJSON = `{
  "schema": 1, "id": "20261101-101500-old", "scenario": "old", "status": "completed",
  "target": "http://u:OLDSECRET-target@127.0.0.1:8080/api",
  "started": "2026-11-01T10:15:00Z", "ended": "2026-11-01T10:16:00Z", "warmup_s": 0,
  "plan": {"model": "open", "stages": [{"duration_ns": 60000000000, "rate": 10}],
    "requests": [{"name": "hello", "method": "GET", "path": "/hello", "weight": 1}],
    "gates": ["error_rate < 1%"]},
  "overall": {"requests": 600, "successes": 600, "error_rate": 0, "rate": {"target": 10, "achieved": 10},
    "latency_us": {"min": 1000, "mean": 2000, "p50": 2000, "p90": 3000, "p95": 3000, "p99": 4000, "p999": 5000, "max": 6000},
    "service_time_us": {"min": 1000, "mean": 2000, "p50": 2000, "p90": 3000, "p95": 3000, "p99": 4000, "p999": 5000, "max": 6000},
    "status_codes": {"200": 600}},
  "endpoints": {"hello": {"requests": 600, "successes": 600, "error_rate": 0, "rate": {"target": 10, "achieved": 10},
    "latency_us": {"min": 1000, "mean": 2000, "p50": 2000, "p90": 3000, "p95": 3000, "p99": 4000, "p999": 5000, "max": 6000},
    "status_codes": {"200": 600}}},
  "server": {"metrics_url": "https://metrics.example/metrics?token=OLDSECRET-token"},
  "gates": [],
  "warnings": ["metrics: scraping https://m:OLDSECRET-warning@metrics.example/metrics?token=OLDSECRET-token failed 3 times"]
}`

// TestOldRunSecretsRedactedOnRead: a run.json written before loadgate
// redacted URLs holds passwords and tokens; re-rendering it (Render: report
// DIR), gating it (Gate: gate DIR), comparing it and using it as a baseline
// show none of them in report.html, summary.md, junit.xml or the gate table,
// and leave run.json as it was.
func TestOldRunSecretsRedactedOnRead(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "old")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, record.RunFile), []byte(oldRunJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Render(dir, Options{Assets: AssetsCDN}); err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{}
	for _, f := range []string{record.ReportFile, record.SummaryFile, record.JUnitFile} {
		outputs[f] = readFile(t, filepath.Join(dir, f))
	}
	// The target's host is still shown: only the password is hidden.
	if !strings.Contains(outputs[record.JUnitFile], "127.0.0.1:8080") {
		t.Fatalf("junit.xml does not name the target: the test does not see the target\n%s", outputs[record.JUnitFile])
	}
	var table strings.Builder
	if _, err := Gate(dir, Options{}, &table); err != nil {
		t.Fatal(err)
	}
	outputs["gate table"] = table.String()
	var baselined strings.Builder
	if _, err := Gate(dir, Options{Baseline: dir}, &baselined); err != nil {
		t.Fatal(err)
	}
	outputs["gate table against itself"] = baselined.String()
	if !strings.Contains(table.String(), "metrics.example") {
		t.Fatalf("the gate table does not show the warning: the test does not see it\n%s", table.String())
	}
	cmp := filepath.Join(root, "cmp")
	if _, err := Compare([]string{dir, dir}, cmp, Options{Assets: AssetsCDN, Labels: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{record.ReportFile, record.SummaryFile} {
		outputs["comparison "+f] = readFile(t, filepath.Join(cmp, f))
	}
	for where, text := range outputs {
		if i := strings.Index(text, "OLDSECRET"); i >= 0 {
			t.Errorf("%s shows a secret: …%s…", where, text[max(0, i-80):min(len(text), i+30)])
		}
	}
	if got := readFile(t, filepath.Join(dir, record.RunFile)); got != oldRunJSON {
		t.Error("rendering rewrote run.json")
	}
}
