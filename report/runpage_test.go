package report

import (
	"encoding/json"
	"html"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// chartJSON returns the decoded data of chart id on page.
func chartJSON(t *testing.T, page, id string) chartData {
	t.Helper()
	m := regexp.MustCompile(`data-chart="` + id + `">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no data of chart %q", id)
	}
	var d chartData
	if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRunPageAtAGlance: the run page has the load plan (after the gates:
// TestRunPageOrder), requests in flight, bytes, a log-scaled distribution, endpoints coloured
// by their gates, the slowest few endpoints drawn and the rest behind a
// selector, the drain shaded instead of drawn, "no errors" for a run
// without, Server-Timing as a breakdown, and changes of shares in pp.
func TestRunPageAtAGlance(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	run := writeFixture(t, dir, fixture{Seconds: 12, Seed: 2, More: 6, ServerTiming: true,
		Gates: []string{"more6.p95 < 1ms", "chat.p95 < 30s", "error_rate < 1%"}})
	run.Overall.BytesOut, run.Overall.BytesIn = 3<<20, 40<<20
	run.Server.ServerTiming = map[string]record.Timing{"db": {MeanMS: 12, Count: 400}, "cache": {MeanMS: 0.5, Count: 400}, "llm": {MeanMS: 900, Count: 150}}
	// The plan ends 2 s before the timeline does: those seconds are the drain.
	run.Plan.Stages[0].DurationS -= 2
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	if _, err := finish(dir, Options{Assets: AssetsCDN}); err != nil {
		t.Fatal(err)
	}
	src := readFile(t, filepath.Join(dir, record.ReportFile))
	page := html.UnescapeString(src)
	for _, want := range []string{
		`<table id="stages">`, "<td>12s</td><td>50/s</td>", "search 27 %: GET /api/search?q=apple", "more6 9 %: GET /api/more6",
		`id="inflight"`, "bodies as on the wire (compressed ones compressed, headers not counted): sent 3 MiB, received 40 MiB",
		`<tr class="ep-fail"><td>more6</td>`, `<tr class="ep-pass"><td>chat</td>`, `<tr class="ep-pass"><td>all</td>`,
		"No errors: every request of the run succeeded.",
		`<table id="server-timing">`, "<td>llm</td><td>900 ms</td>", "<td>< 1 %</td>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("run page lacks %q", want)
		}
	}
	if strings.Contains(page, `<tr class="ep-pass"><td>search</td>`) || strings.Contains(page, `<tr class="ep-fail"><td>search</td>`) {
		t.Error("search, which no gate reads, is coloured")
	}
	// The slowest endpoints are drawn, the rest offered by the selector.
	lat := chartJSON(t, src, ChartLatency)
	legend := lat.Option.(map[string]any)["legend"].(map[string]any)["data"]
	got := strings.Join(toStrings(legend), ",")
	for _, want := range []string{"more6 P95", "more5 P95", "more4 P95"} {
		if !strings.Contains(got, want) {
			t.Errorf("legend %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "more1 P95") || len(lat.Selector) != 5 {
		t.Errorf("legend %q, selector %q: want the 3 slowest endpoints drawn and the 5 others selectable", got, lat.Selector)
	}
	if dist := chartJSON(t, src, ChartDistribution); len(dist.Selector) != 5 {
		t.Errorf("distribution selector %q: want the 5 endpoints after the 3 slowest", dist.Selector)
	}
	// The distribution's value axis is logarithmic.
	if !strings.Contains(src[strings.Index(src, `data-chart="distribution"`):], `"yAxis":[{"name":"ms (log)","type":"log"`) {
		t.Error("the latency distribution has no log value axis")
	}
	// The drain is shaded, not drawn: no throughput point after the plan's end.
	th := readFile(t, filepath.Join(dir, record.ReportFile))
	if !strings.Contains(th, "drain (not measured)") {
		t.Error("the drain is not shaded")
	}
	end := measuredEnd(run)
	for _, ser := range chartJSON(t, src, ChartThroughput).Option.(map[string]any)["series"].([]any) {
		for _, pt := range ser.(map[string]any)["data"].([]any) {
			if x := pt.(map[string]any)["value"].([]any)[0].(float64); x > end {
				t.Errorf("throughput drawn at %gs, after the measured window ends at %gs", x, end)
			}
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestMarginInPP: a gate on a share says its margin in percentage points.
func TestMarginInPP(t *testing.T) {
	t.Parallel()
	v := 0.004
	g := record.Gate{Expr: "error_rate < 1%", Value: &v, Threshold: 0.01, Unit: "ratio", Verdict: record.VerdictPass}
	if got := margin(g); got != "0.6 pp to spare" {
		t.Errorf("margin = %q, want 0.6 pp to spare", got)
	}
}

func TestSecondsWords(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "0s", 6.666666666: "6.7s", 30: "30s", 120: "2m", 90: "1m30s", 3600: "1h"} {
		if got := secondsWords(in); got != want {
			t.Errorf("secondsWords(%g) = %q, want %q", in, got, want)
		}
	}
}

// TestCapacityClosedHasNoPlannedRate: the steps of a closed-model search
// have no planned rate to show ("—", not "0/s").
func TestCapacityClosedHasNoPlannedRate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := RenderCapacity(dir, sampleCapacity(), "capacity: 200 users", Options{Assets: AssetsCDN, Stderr: &strings.Builder{}}); err != nil {
		t.Fatal(err)
	}
	page := readFile(t, filepath.Join(dir, record.ReportFile))
	if strings.Contains(page, "<td>0/s</td>") {
		t.Error("a closed-model step shows a planned rate of 0/s")
	}
	// The headline series are a column each: measured, or "—".
	if !strings.Contains(page, "<th>cache hit rate</th><th>DB query P95</th><th>verdict</th>") ||
		!strings.Contains(page, "<td>90 %</td><td>4 ms</td><td>pass</td>") || !strings.Contains(page, "<td>40 %</td><td>—</td><td>fail</td>") {
		t.Errorf("the steps' headline series are not their columns:\n%s", page)
	}
}
