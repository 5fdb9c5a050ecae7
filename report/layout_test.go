package report

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

// TestRunPageOrder: a run page opens with the verdict, the key numbers and
// the latency over time; the warnings, the gates, the load plan, the run's
// facts and the tables come after.
func TestRunPageOrder(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	r := writeFixture(t, dir, fixture{Seconds: 10, Seed: 2, ErrorEvery: 10, Gates: []string{"p95 < 3s", "error_rate < 1%"}})
	r.Warnings = []string{"something to say"}
	r.Expected = []string{"1 of 12 scrapes of http://u:secret@t/metrics failed while the drill target_restart had the target down (from 3s to 4s): expected"}
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), r); err != nil {
		t.Fatal(err)
	}
	if _, err := finish(dir, Options{Assets: AssetsCDN, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	src := readFile(t, filepath.Join(dir, record.ReportFile))
	order := []string{`id="verdict"`, `id="key-numbers"`, `id="chart-latency"`, `id="warnings"`, `id="gates"`, `id="load-plan"`, `id="facts"`, `id="endpoints"`, `id="chart-throughput"`}
	at := -1
	for _, id := range order {
		i := strings.Index(src, id)
		if i < 0 || i < at {
			t.Fatalf("%s is not where it should be (order %q)", id, order)
		}
		at = i
	}
	// The strip: P95 and the error rate marked by their gates.
	page := html.UnescapeString(src)
	for _, want := range []string{`<div id="key-p95" class="key v-pass">`, "p95 < 3s: pass", `<div id="key-errors" class="key v-fail">`, "error_rate < 1%: fail",
		`<div id="key-rate" class="key">`, "of 50/s planned", `<div id="key-series-cache_hit_rate" class="key">`, `<div id="key-requests" class="key">`,
		`1 warning</a>, under the latency chart`} {
		if !strings.Contains(page, want) {
			t.Errorf("run page lacks %q", want)
		}
	}
	// What the drill caused is said as expected, not as a warning, on
	// the page, in summary.md and in the gate table; its URL's password
	// hidden everywhere.
	if !strings.Contains(page, `<div class="expected">✓ 1 of 12 scrapes of http://u:xxxxx@t/metrics failed while the drill target_restart`) ||
		strings.Contains(page, `<div class="warn">⚠ 1 of 12 scrapes`) {
		t.Error("the drill's effect is not marked as expected on the page")
	}
	if md := readFile(t, filepath.Join(dir, record.SummaryFile)); !strings.Contains(md, "> ✔️ 1 of 12 scrapes of http://u:xxxxx@t/metrics") {
		t.Errorf("summary.md does not mark the drill's effect as expected:\n%s", md)
	}
	var table bytes.Buffer
	if _, err := Gate(dir, Options{Stderr: &bytes.Buffer{}}, &table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "expected: 1 of 12 scrapes of http://u:xxxxx@t/metrics") || strings.Contains(table.String(), "warning: 1 of 12") {
		t.Errorf("the gate table does not mark the drill's effect as expected:\n%s", table.String())
	}
}

// TestLatencyByOutcomeCollapsed: an endpoint where no request failed has
// one row in the latency-by-outcome table, not three, and the page says
// so; one with failures keeps its three.
func TestLatencyByOutcomeCollapsed(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		errorEvery int
		rows       map[string]int // rows by endpoint
		note       string
	}{
		{0, map[string]int{"search": 1, "chat": 1, "all": 1}, "No request failed: one row per endpoint"},
		{10, map[string]int{"search": 1, "chat": 3, "all": 3}, "An endpoint where no request failed has one row"},
	} {
		dir := filepath.Join(t.TempDir(), "run")
		writeFixture(t, dir, fixture{Seconds: 5, Seed: 3, ErrorEvery: c.errorEvery})
		if _, err := finish(dir, Options{Assets: AssetsCDN, Stderr: &bytes.Buffer{}}); err != nil {
			t.Fatal(err)
		}
		src := readFile(t, filepath.Join(dir, record.ReportFile))
		_, table, _ := strings.Cut(src, `<table id="latency-by-outcome">`)
		table, _, _ = strings.Cut(table, "</table>")
		for name, want := range c.rows {
			if got := strings.Count(table, "<tr><td>"+name+"</td>"); got != want {
				t.Errorf("errors every %d: %s has %d rows, want %d", c.errorEvery, name, got, want)
			}
		}
		if !strings.Contains(src, c.note) {
			t.Errorf("errors every %d: the page does not say %q", c.errorEvery, c.note)
		}
		if c.errorEvery == 0 && !strings.Contains(table, "all requests, none failed") {
			t.Errorf("the single row does not say that none failed:\n%s", table)
		}
	}
}

// TestJourneyOrder: a flow's steps are listed in journey order, as the
// plan has them (plain requests of the mix first), not by name.
func TestJourneyOrder(t *testing.T) {
	t.Parallel()
	run := &record.Run{Plan: record.Plan{
		Requests: []record.RequestMix{{Name: "health"}},
		Flows: []record.FlowMix{
			{Name: "shop", Steps: []record.RequestMix{{Name: "login"}, {Name: "search"}, {Name: "checkout"}}},
			{Name: "admin", Steps: []record.RequestMix{{Name: "report"}}},
		}},
		Flows: map[string]record.FlowStats{
			"shop":  {Steps: []string{"shop.login", "shop.search", "shop.checkout"}},
			"admin": {Steps: []string{"admin.report"}},
		},
		Endpoints: map[string]record.Stats{"health": {}, "shop.login": {}, "shop.search": {}, "shop.checkout": {}, "admin.report": {}, "other": {}},
	}
	want := []string{"health", "shop.login", "shop.search", "shop.checkout", "admin.report", "other"}
	if got := endpointNames(run); !slices.Equal(got, want) {
		t.Errorf("endpoints %q, want %q", got, want)
	}
	var rows []string
	for _, r := range flowRows(run) {
		rows = append(rows, r.Name)
	}
	if !slices.Equal(rows, []string{"shop", "admin"}) {
		t.Errorf("flows %q, want the plan's order", rows)
	}
}

// TestStageMarks: the warm-up's end and a stage starting then are one
// label; a mark too close to another's label goes up a row; the others
// stay on the first.
func TestStageMarks(t *testing.T) {
	t.Parallel()
	run := &record.Run{WarmupS: 5, Plan: record.Plan{Stages: []record.Stage{
		{StartS: 0, DurationS: 5}, {StartS: 5, DurationS: 1}, {StartS: 6, DurationS: 50}, {StartS: 56, DurationS: 60}}}}
	marks := stageMarks(run)
	var names []string
	for _, m := range marks {
		names = append(names, m.Name)
	}
	if !slices.Equal(names, []string{"warm-up ends · stage 2", "stage 3", "stage 4"}) {
		t.Fatalf("marks %q", names)
	}
	if rows := markRows(marks, 120); !slices.Equal(rows, []int{0, 1, 0}) {
		t.Errorf("rows %v: want stage 3 above the label it would touch, stage 4 on the first row", rows)
	}
	// On the chart: each label in its row, the plot below the rows.
	d := &runData{Run: run, Timeline: &record.Timeline{}}
	for s := 0; s <= 118; s++ {
		d.Timeline.Points = append(d.Timeline.Points, record.Point{T: float64(s), TargetRate: 10, AchievedRate: 10})
	}
	opt := fmt.Sprint(throughputChart(d, 0).Data)
	for _, want := range []string{`"name":"warm-up ends · stage 2"`, `"offset":[0,-14]`, `"top":"54"`, `"name":"drain (not measured)"`, `"position":"insideTopRight"`} {
		if !strings.Contains(opt, want) {
			t.Errorf("the chart's option lacks %s:\n%.3000s", want, opt)
		}
	}
}

// TestCompareLabelsAndDrain: the comparison's bar chart labels every
// endpoint (slanted when they crowd), and its time charts end with the
// longest measured window, the drain after it shaded, as a run page's do.
func TestCompareLabelsAndDrain(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a, b := writeBeforeAfter(t, root)
	out := filepath.Join(root, "cmp")
	if _, err := Compare([]string{a, b}, out, Options{Assets: AssetsCDN, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	src := readFile(t, filepath.Join(out, record.ReportFile))
	bars := fmt.Sprint(chartJSON(t, src, ChartP95Endpoints).Option)
	if !strings.Contains(bars, "interval:0") || !strings.Contains(bars, "rotate:30") {
		t.Errorf("the bar chart's x axis %s: want every label (interval 0), slanted", bars)
	}
	for _, id := range []string{ChartLatency, ChartThroughput, ChartInFlight} {
		d := chartJSON(t, src, id)
		if !strings.Contains(fmt.Sprint(d.Option), "drain (not measured)") {
			t.Errorf("%s: the drain is not shaded", id)
		}
	}
	// Every category labelled, whatever their number; slanted only when
	// they crowd.
	few := fmt.Sprint(barSpec{ID: "x", Categories: []string{"a", "b", "c"}, Series: []barSeries{{Name: "r", Values: []*float64{nil, nil, nil}}}}.render().Data)
	if !strings.Contains(few, `"interval":0`) || !strings.Contains(few, `"rotate":0`) {
		t.Errorf("three short labels: %s", few)
	}
}

// TestLoadAddsUpOnARealRun: on a real run whose generator runs late, the
// report's numbers add up: planned = sent + never sent, sent = completed +
// in flight at the end, and the requests counted are the completed and the
// never sent ones.
func TestLoadAddsUpOnARealRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond) // the target's speed: slower than the plan
	}))
	defer srv.Close()
	run, dir, _ := finishRealRun(t, fmt.Sprintf(`name: late
target: {base_url: %s, timeout: 5s, health: none}
load:
  max_workers: 2
  warmup: 500ms
  stages: [{duration: 1500ms, rate: 40/s}]
requests: [{name: a, path: /}]
`, srv.URL), "late.yaml")
	page := html.UnescapeString(readFile(t, filepath.Join(dir, record.ReportFile)))
	m := regexp.MustCompile(`planned (\d+) = sent (\d+) \+ never sent (\d+); sent (\d+) = completed (\d+) \+ in flight at the end (\d+)`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page does not account for the plan's requests")
	}
	n := make([]int64, len(m))
	for i := 1; i < len(m); i++ {
		n[i], _ = strconv.ParseInt(m[i], 10, 64)
	}
	planned, sent, unsent, sent2, completed, inFlight := n[1], n[2], n[3], n[4], n[5], n[6]
	if planned != sent+unsent || sent != sent2 || sent != completed+inFlight {
		t.Errorf("%s: does not add up", m[0])
	}
	if unsent == 0 {
		t.Errorf("%s: the generator was meant to run late", m[0])
	}
	o := run.Overall
	if o.Requests != completed+unsent || o.Unsent != unsent || planned != run.Generator.Planned {
		t.Errorf("run.json: %d requests (%d never sent), generator %+v; the page: %s", o.Requests, o.Unsent, *run.Generator, m[0])
	}
	if !strings.Contains(page, fmt.Sprintf("of %d planned · %d never sent · %d in flight at the end", planned, unsent, inFlight)) {
		t.Error("the key numbers' requests do not say the same")
	}
}
