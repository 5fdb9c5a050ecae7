package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// The report and summary.md say which requests a latency is of: the
// endpoint table and the gates read the successful ones, the failed ones
// and all have their own rows and columns.
func TestReportSaysWhichRequests(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	run := writeFixture(t, dir, fixture{Seconds: 6, Seed: 5, ErrorEvery: 3, Gates: []string{"chat.p95 < 3s", "chat.failed.p95 < 1s"}})
	if _, err := finish(dir, Options{Assets: AssetsCDN, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	chat := run.Endpoints["chat"]
	okP95, failedP95 := gate.FormatMicros(chat.LatencyOKUS.P95), gate.FormatMicros(chat.LatencyFailedUS.P95)
	if okP95 == gate.FormatMicros(chat.LatencyUS.P95) {
		t.Fatalf("the fixture's chat P95 is %s for successful and all requests alike: the test needs them apart", okP95)
	}
	md := readFile(t, filepath.Join(dir, record.SummaryFile))
	for _, want := range []string{
		"| P50 | P95 | P99 | max | failed P95 |",
		"| " + okP95 + " |", failedP95 + " |",
		"P50 to max are the latency of successful requests",
		"Latency gates read the successful requests unless they name `all.` or `failed.` requests.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
	html := readFile(t, filepath.Join(dir, record.ReportFile))
	for _, want := range []string{
		`<table id="latency-by-outcome">`, "<td>successful requests</td>", "<td>failed requests</td>",
		"chat.p95 (successful requests) is " + okP95, "chat.failed.p95 (failed requests) is " + failedP95,
		"Latency of successful requests",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	d, err := loadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Notes) > 0 {
		t.Errorf("notes on a sound run: %q", d.Notes)
	}
	if s := d.seriesOf("chat", record.OK); s == nil || s.Total.TotalCount() != chat.Successes {
		t.Errorf("chat's successful series: %+v, want %d requests", s, chat.Successes)
	}
	if tags := d.Tags(); strings.Join(tags, ",") != "chat,search" {
		t.Errorf("endpoint tags %q, want chat,search (no population tags)", tags)
	}
}

// A run written before latencies were split by outcome: where nothing
// failed, its latencies are the successful ones exactly; where some
// requests failed, a gate on successful requests cannot be told and is
// unknown, never a pass.
func TestRunBeforeTheSplit(t *testing.T) {
	t.Parallel()
	clean := filepath.Join(t.TempDir(), "clean")
	writeFixture(t, clean, fixture{Seconds: 6, Seed: 5, Unsplit: true, Gates: []string{"p95 < 3s", "p95_drift < 50%"}})
	out, err := Gate(clean, Options{}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != record.VerdictPass {
		t.Errorf("no failures: %s %+v", out.Verdict, out.Gates)
	}
	mixed := filepath.Join(t.TempDir(), "mixed")
	writeFixture(t, mixed, fixture{Seconds: 6, Seed: 5, Unsplit: true, ErrorEvery: 3, Gates: []string{"p95 < 3s", "p95_drift < 50%", "all.p95 < 3s"}})
	out, err = Gate(mixed, Options{}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{record.VerdictUnknown, record.VerdictUnknown, record.VerdictPass}
	for i, g := range out.Gates {
		if g.Verdict != want[i] {
			t.Errorf("%s: %s (%s), want %s", g.Expr, g.Verdict, g.Message, want[i])
		}
	}
	if !strings.Contains(out.Gates[0].Message, "written before latencies were split by outcome") || !strings.Contains(out.Gates[1].Message, "has no per-second latency of successful requests") {
		t.Errorf("messages: %q, %q", out.Gates[0].Message, out.Gates[1].Message)
	}
}

// A log that does not hold what run.json counts (as the recorder wrote
// before every measured result reached it) is said in the report.
func TestReportNotesLogMissingResults(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 4, Seed: 5})
	run, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	run.Overall.Requests++
	run.Overall.Successes++
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	d, err := loadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "latency.hlog disagrees with run.json: whole run, all requests: latency.hlog holds 200, run.json counts 201") {
		t.Errorf("notes %q", d.Notes)
	}
}
