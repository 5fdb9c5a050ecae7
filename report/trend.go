package report

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// Trend is what a trend page draws: past runs of one scenario's plan from a
// history store, and the baseline runs whose spread is its noise band.
type Trend struct {
	Scenario, PlanHash string
	// Runs are drawn in the order given (commit order, oldest first).
	Runs []record.PastRun
	// Baseline are the runs a new run of the plan would be checked
	// against (history's baseline rule), and BaselineBasis says which:
	// their spread of each series' P95 is drawn as its noise band.
	Baseline      []record.PastRun
	BaselineBasis string
	// Notes are said on the page (runs of other plans left out …).
	Notes []string
}

// trendPage is what templates/trend.html.tmpl draws.
type trendPage struct {
	Title          string
	Facts          []fact
	Notes          []string
	Charts         []chartBlock
	Runs           []trendRow
	Assets         assets
	EChartsVersion string
}

type trendRow struct {
	Label, Commit, Branch, Started, Status, Verdict, P95, ErrorRate, Throughput, Link, Dir string
}

// RenderTrend writes the trend page of t to out (an HTML file): per
// endpoint and for the whole run, the P95 and P99 of the successful
// requests, the error rate and the throughput of each run in order, the
// noise band of the baseline runs' P95, each run's verdict marked and, when
// its directory is still there, its point and row linked to its report. It
// is one offline file, like every page: ECharts inlined, a
// Content-Security-Policy that allows only its own scripts, every string
// of the runs data.
func RenderTrend(out string, t Trend, opts Options) error {
	o := opts.withDefaults()
	if err := o.check(); err != nil {
		return err
	}
	tpl, err := parseTemplates()
	if err != nil {
		return fmt.Errorf("report templates: %w", err)
	}
	a := loadAssets(o)
	p := trendPage{Title: "loadgate · trend · " + t.Scenario, Assets: a, EChartsVersion: EChartsVersion, Notes: t.Notes}
	if a.Note != "" {
		p.Notes = append(p.Notes, a.Note)
		fmt.Fprintf(o.Stderr, "loadgate: %s: %s\n", out, a.Note)
	}
	p.Facts = []fact{{"scenario", t.Scenario}, {"plan", t.PlanHash}, {"runs", fmt.Sprint(len(t.Runs))}}
	band := "none (" + t.BaselineBasis + ")"
	if len(t.Baseline) > 0 {
		names := make([]string, len(t.Baseline))
		for i, b := range t.Baseline {
			names[i] = b.Name()
		}
		band = t.BaselineBasis + ": " + strings.Join(names, ", ")
	}
	p.Facts = append(p.Facts, fact{"noise band", band})
	links := make([]string, len(t.Runs))
	labels := make([]string, len(t.Runs))
	for i, r := range t.Runs {
		links[i] = reportLink(out, r.Dir)
		labels[i] = trendLabel(r)
		row := trendRow{Label: labels[i], Commit: r.Run.Commit, Branch: r.Branch, Started: r.Run.Started.UTC().Format("2006-01-02 15:04Z"),
			Status: r.Run.Status, Verdict: r.Verdict(), P95: "—", ErrorRate: gate.Format(r.Run.Overall.ErrorRate, "ratio"),
			Throughput: gate.Format(r.Run.Overall.Rate.Achieved, "rps"), Link: links[i], Dir: r.Dir}
		if l, ok := r.Run.Overall.LatencyOf(record.OK); ok {
			row.P95 = gate.FormatMicros(l.P95)
		}
		p.Runs = append(p.Runs, row)
	}
	for i, ep := range append([]string{""}, trendEndpoints(t.Runs)...) {
		p.Charts = append(p.Charts, trendChart(fmt.Sprintf("trend%d", i), ep, t, labels, links))
	}
	var html bytes.Buffer
	if err := tpl.ExecuteTemplate(&html, "trend.html.tmpl", p); err != nil {
		return fmt.Errorf("rendering the trend page: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return record.WriteFile(out, html.Bytes())
}

// trendLabel is a run's label on the x axis: its commit and day.
func trendLabel(r record.PastRun) string {
	c := r.Run.Commit
	if c == "" {
		c = "?"
	}
	return c + " " + r.Run.Started.UTC().Format("01-02 15:04")
}

// reportLink is the link from the page at out to the report of run
// directory dir, relative when it can be; "" when the report is not there.
func reportLink(out, dir string) string {
	if dir == "" {
		return ""
	}
	report := filepath.Join(dir, record.ReportFile)
	if fi, err := os.Stat(report); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	absOut, err1 := filepath.Abs(filepath.Dir(out))
	absReport, err2 := filepath.Abs(report)
	if err1 != nil || err2 != nil {
		return ""
	}
	if rel, err := filepath.Rel(absOut, absReport); err == nil {
		// A path, never a scheme: a first segment holding a colon is
		// written ./a:b by url.URL.
		return (&url.URL{Path: filepath.ToSlash(rel)}).String()
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(absReport)}).String()
}

// trendEndpoints lists the endpoints of the runs, sorted.
func trendEndpoints(runs []record.PastRun) []string {
	seen := map[string]bool{}
	for _, r := range runs {
		for ep := range r.Run.Endpoints {
			seen[ep] = true
		}
	}
	out := make([]string, 0, len(seen))
	for ep := range seen {
		out = append(out, ep)
	}
	sort.Strings(out)
	return out
}

// trendPoint is one run's point of a series: its index on the x axis, its
// value, its report's link and its verdict's mark.
type trendPoint struct {
	Value     [2]any         `json:"value"`
	Link      string         `json:"link,omitempty"`
	Symbol    string         `json:"symbol,omitempty"`
	SymbolSz  int            `json:"symbolSize,omitempty"`
	ItemStyle map[string]any `json:"itemStyle,omitempty"`
}

// verdictMark is how a verdict is marked on a point: a fail a large red
// triangle, an unknown a grey diamond, a pass the series' own dot.
func verdictMark(p *trendPoint, verdict string) {
	switch verdict {
	case record.VerdictFail:
		p.Symbol, p.SymbolSz, p.ItemStyle = "triangle", 12, map[string]any{"color": "#b3261e"}
	case record.VerdictUnknown, "":
		p.Symbol, p.SymbolSz, p.ItemStyle = "diamond", 10, map[string]any{"color": "#8a8f98"}
	}
}

// trendChart draws one series (endpoint ep, "" the whole run) across the
// runs: P95 and P99 (ms) on the left axis with the baseline's noise band,
// throughput (req/s) and error rate (%) on the right.
func trendChart(id, ep string, t Trend, labels, links []string) chartBlock {
	stats := func(r record.PastRun) (record.Stats, bool) {
		if ep == "" {
			return r.Run.Overall, true
		}
		s, ok := r.Run.Endpoints[ep]
		return s, ok
	}
	var p95, p99, errs, thr []trendPoint
	for i, r := range t.Runs {
		s, ok := stats(r)
		if !ok {
			continue
		}
		pt := func(v float64) trendPoint {
			p := trendPoint{Value: [2]any{i, round3(v)}, Link: links[i]}
			verdictMark(&p, r.Verdict())
			return p
		}
		if l, ok := s.LatencyOf(record.OK); ok {
			p95 = append(p95, pt(l.P95/1000))
			p99 = append(p99, pt(l.P99/1000))
		}
		errs = append(errs, pt(s.ErrorRate*100))
		thr = append(thr, pt(s.Rate.Achieved))
	}
	p95Series := map[string]any{"name": "P95 (ms)", "type": "line", "yAxisIndex": 0, "data": p95}
	lo, hi, n := 0.0, 0.0, 0
	for _, b := range t.Baseline {
		s, ok := stats(b)
		if !ok {
			continue
		}
		if l, ok := s.LatencyOf(record.OK); ok {
			v := l.P95 / 1000
			if n == 0 || v < lo {
				lo = v
			}
			if n == 0 || v > hi {
				hi = v
			}
			n++
		}
	}
	note := "Each point is a run, in commit order; a red triangle failed its gates, a grey diamond could not be judged; click a point to open its report."
	if n > 0 {
		p95Series["markArea"] = map[string]any{
			"silent":    true,
			"itemStyle": map[string]any{"color": "rgba(36, 64, 110, 0.12)"},
			"data": [][]map[string]any{{
				{"name": fmt.Sprintf("noise band: P95 of %d baseline runs", n), "yAxis": round3(lo)},
				{"yAxis": round3(hi)},
			}},
		}
		note += fmt.Sprintf(" The shaded band is the spread of the P95 of the %d baseline runs (%s to %s).", n,
			gate.FormatMicros(lo*1000), gate.FormatMicros(hi*1000))
	}
	opt := map[string]any{
		"animation": false,
		"tooltip":   map[string]any{"trigger": "axis"},
		"legend":    map[string]any{"data": []string{"P95 (ms)", "P99 (ms)", "throughput (req/s)", "errors (%)"}},
		"grid":      map[string]any{"right": 130, "bottom": 90},
		"xAxis":     map[string]any{"type": "category", "data": labels, "axisLabel": map[string]any{"rotate": 30}},
		"yAxis": []map[string]any{
			{"type": "value", "name": "ms", "min": 0},
			{"type": "value", "name": "req/s", "position": "right", "min": 0},
			{"type": "value", "name": "errors %", "position": "right", "offset": 65, "min": 0},
		},
		"series": []map[string]any{
			p95Series,
			{"name": "P99 (ms)", "type": "line", "yAxisIndex": 0, "data": p99, "lineStyle": map[string]any{"type": "dashed"}},
			{"name": "throughput (req/s)", "type": "line", "yAxisIndex": 1, "data": thr},
			{"name": "errors (%)", "type": "line", "yAxisIndex": 2, "data": errs},
		},
	}
	title := "All endpoints"
	if ep != "" {
		title = "Endpoint " + ep
	}
	return chartBlock{ID: id, Title: title, Note: note}.drawn(chartData{Option: opt})
}
