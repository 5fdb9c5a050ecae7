package report

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/loadgate/loadgate/record"
)

// Chart ids are fixed so that golden files and the browser test can name them.
const (
	ChartLatency      = "latency"
	ChartThroughput   = "throughput"
	ChartErrors       = "errors"
	ChartDistribution = "distribution"
	ChartMemory       = "memory"
	ChartServerTiming = "servertiming" // chart ids become JavaScript names: no dashes
	ChartInFlight     = "inflight"
	// ChartSeriesPrefix and the chart's 1-based place among the run's
	// declared charts (record.Plan.Charts) are a declared chart's id:
	// "series1", "series2" …
	ChartSeriesPrefix = "series"
)

// chartBlock is one chart of the page: drawn (Data set) or explained
// (Missing says why there is nothing to draw).
type chartBlock struct {
	ID      string
	Title   string
	Note    string // under the title: what is drawn, downsampling
	Missing string
	// Empty, when set, is said instead of a chart with nothing to draw
	// ("No errors: …").
	Empty string
	// Data is the chart for templates/charts.js, {"option": the ECharts
	// option, "xLabels": …}, encoded by scriptJSON.
	Data template.JS
}

// chartData is what templates/charts.js reads of one chart.
type chartData struct {
	Option any `json:"option"`
	// XLabels names a label formatter of charts.js for the x axis:
	// "percentile" turns 1/(1-p) into "99.9%". Formatters are code, so they
	// live in the script, never in the data.
	XLabels string `json:"xLabels,omitempty"`
	// Selector lists series left out of the legend at first, to be shown
	// one by one from a select element charts.js puts above the chart
	// (instead of a legend of dozens of entries).
	Selector []string `json:"selector,omitempty"`
}

// drawn returns b with the chart's data encoded, or, if it cannot be,
// with Missing saying why.
func (b chartBlock) drawn(d chartData) chartBlock {
	js, err := scriptJSON(d)
	if err != nil {
		b.Missing = err.Error()
		return b
	}
	b.Data = js
	return b
}

// xLabelsPercentile labels a log axis of 1/(1-p) with percentiles.
const xLabelsPercentile = "percentile"

// line is one series of a line chart.
type line struct {
	Name   string
	Points []xy
	Hidden bool // unselected in the legend at first
	Step   bool
	Area   bool
}

// lineSpec describes a line chart.
type lineSpec struct {
	ID, Title, XName, YName string
	LogX                    bool
	XLabels                 string // chartData.XLabels
	Lines                   []line
	Marks                   []mark            // vertical lines (the warm-up's end, stage starts)
	Areas                   charts.SeriesOpts // shaded windows (faults); may be nil
	LogY                    bool
	// End, when set, is where the measured window ends (seconds): later
	// points are the drain, shaded instead of drawn.
	End float64
	// Legend, when set, are the series the legend lists; the others are
	// hidden and offered by Selector.
	Legend   []string
	Selector []string
	YMax     any
}

// round3 keeps three decimals: enough for ms, and it keeps the page small.
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func (s lineSpec) render() chartBlock {
	c := charts.NewLine()
	selected := map[string]bool{}
	for _, l := range s.Lines {
		selected[l.Name] = !l.Hidden
	}
	xType := "value"
	if s.LogX {
		xType = "log"
	}
	xAxis := opts.XAxis{Type: xType, Name: s.XName, NameLocation: "middle", NameGap: 28, Scale: opts.Bool(true)}
	yType := "value"
	if s.LogY {
		yType = "log"
	}
	legend := opts.Legend{Show: opts.Bool(true), Type: "scroll", Top: "0", Selected: selected}
	if s.Legend != nil {
		legend.Data = s.Legend
	}
	// The drain: from the end of the measured window to the last point.
	drainTo := 0.0
	if s.End > 0 {
		for _, l := range s.Lines {
			for _, p := range l.Points {
				drainTo = math.Max(drainTo, p.X)
			}
		}
		if drainTo > s.End {
			xAxis.Max = round3(drainTo)
			// The axis's last label would sit on the one of its last
			// tick; the drain's shade says where the axis ends.
			xAxis.AxisLabel = &opts.AxisLabel{ShowMaxLabel: opts.Bool(false)}
		}
	}
	// The marks' labels sit above the plot, in as many rows as keep them
	// apart; the plot starts below the last row.
	var rows []int
	top := 40
	if len(s.Marks) > 0 {
		span := drainTo
		for _, l := range s.Lines {
			for _, p := range l.Points {
				span = math.Max(span, p.X)
			}
		}
		rows = markRows(s.Marks, math.Max(span, s.Marks[len(s.Marks)-1].X))
		top += rowPx * slices.Max(rows)
	}
	c.SetGlobalOptions(
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(legend),
		charts.WithGridOpts(opts.Grid{Top: strconv.Itoa(top), Left: "70", Right: "30", Bottom: "60"}),
		charts.WithXAxisOpts(xAxis),
		charts.WithYAxisOpts(opts.YAxis{Type: yType, Name: s.YName, Max: s.YMax}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside"}),
	)
	for i, l := range s.Lines {
		data := make([]opts.LineData, 0, len(l.Points))
		for _, p := range l.Points {
			if s.End > 0 && p.X > s.End+1e-9 {
				continue // the drain: shaded, not data
			}
			data = append(data, opts.LineData{Value: [2]float64{round3(p.X), round3(p.Y)}})
		}
		so := []charts.SeriesOpts{charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(len(l.Points) < 2), Step: stepOf(l.Step)})}
		if l.Area {
			so = append(so, charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.15)}))
		}
		if i == 0 && len(s.Marks) > 0 {
			so = append(so, markLines(s.Marks, rows))
		}
		if i == 0 && s.Areas != nil {
			so = append(so, s.Areas)
		}
		if i == 0 && drainTo > s.End && s.End > 0 {
			so = append(so, drainArea(s.End, drainTo))
		}
		c.AddSeries(l.Name, data, so...)
	}
	// The library builds the option; its HTML and script output is not
	// used: they carry the data as trusted markup and unescaped JSON.
	c.Validate()
	return chartBlock{ID: s.ID, Title: s.Title}.drawn(chartData{Option: c.JSON(), XLabels: s.XLabels, Selector: s.Selector})
}

// drainArea shades the drain, from the end of the measured window to the
// last second, beside any fault windows already marked on the series.
func drainArea(from, to float64) charts.SeriesOpts {
	return func(ser *charts.SingleSeries) {
		if ser.MarkAreas == nil {
			ser.MarkAreas = &opts.MarkAreas{MarkAreaStyle: opts.MarkAreaStyle{
				Label: &opts.Label{Show: opts.Bool(true), Position: "insideTop"},
			}}
		}
		// The label hangs from the area's top right corner leftwards, so
		// that it stays inside the chart however narrow the drain is.
		ser.MarkAreas.Data = append(ser.MarkAreas.Data, []any{
			map[string]any{"name": "drain (not measured)", "xAxis": round3(from),
				"itemStyle": map[string]any{"color": "rgba(120, 120, 120, 0.15)"},
				"label":     map[string]any{"color": "#555", "position": "insideTopRight"}},
			map[string]any{"xAxis": round3(to)},
		})
	}
}

func stepOf(b bool) any {
	if b {
		return "end"
	}
	return nil
}

// latencyChart draws P50/P95/P99/max per second of the whole run's
// successful requests, the failed requests' P95, all requests' P95, and
// the successful requests' percentiles per endpoint (off at first,
// selectable in the legend).
func latencyChart(d *runData, maxPoints int) chartBlock {
	b := chartBlock{ID: ChartLatency, Title: "Latency over time"}
	all := d.Series[""]
	if all == nil || len(all.Intervals) == 0 {
		b.Missing = "no latency intervals (" + record.HlogFile + " absent or empty)"
		return b
	}
	ok, note := d.seriesOf("", record.OK), "Successful requests"
	if ok == nil {
		// A log from before the split, with failures: say what is drawn.
		ok, note = all, "All requests, successful or not ("+record.HlogFile+" predates the split by outcome)"
	}
	spec := lineSpec{ID: ChartLatency, Title: b.Title, XName: "seconds", YName: "ms", Marks: stageMarks(d.Run), Areas: faultAreas(d.Run), End: measuredEnd(d.Run)}
	quantiles := []struct {
		name string
		f    func(interval) float64
	}{
		{"P50", func(i interval) float64 { return i.P50 }},
		{"P95", func(i interval) float64 { return i.P95 }},
		{"P99", func(i interval) float64 { return i.P99 }},
		{"max", func(i interval) float64 { return i.Max }},
	}
	add := func(prefix string, s *series, hidden bool, only string) {
		if s == nil {
			return
		}
		ivs := downsampleIntervals(s.Intervals, maxPoints)
		for _, q := range quantiles {
			if only != "" && q.name != only {
				continue
			}
			pts := make([]xy, 0, len(ivs))
			for _, iv := range ivs {
				if iv.Count > 0 {
					pts = append(pts, xy{iv.T, q.f(iv) / 1000})
				}
			}
			spec.Lines = append(spec.Lines, line{Name: prefix + q.name, Points: pts, Hidden: hidden || q.name == "max"})
		}
	}
	add("", ok, false, "")
	if ok != all {
		add("failed ", d.seriesOf("", record.Failed), false, "P95")
		add("all ", all, true, "P95")
	}
	// The slowest few endpoints' P95 are drawn; the others are offered by
	// a selector, so that forty endpoints make no forty-entry legend.
	for _, l := range spec.Lines {
		spec.Legend = append(spec.Legend, l.Name)
	}
	for i, tag := range slowestEndpoints(d.Run) {
		s := d.seriesOf(tag, record.OK)
		if ok == all {
			s = d.Series[tag]
		}
		n := len(spec.Lines)
		add(tag+" ", s, i >= shownEndpoints, "P95")
		for _, l := range spec.Lines[n:] {
			if i < shownEndpoints {
				spec.Legend = append(spec.Legend, l.Name)
			} else {
				spec.Selector = append(spec.Selector, l.Name)
			}
		}
	}
	b = spec.render()
	more := ""
	if len(spec.Selector) > 0 {
		more = fmt.Sprintf("; the %d slowest endpoints' P95 are drawn, the selector adds any other", shownEndpoints)
	}
	// Short: the chart is on the page's first screen.
	b.Note = note + ", measured from each request's intended send time (corrected for coordinated omission). The legend switches on all requests' P95" + more + "."
	if ok != all {
		b.Note = note + " (the failed requests' P95 beside them), measured from each request's intended send time (corrected for coordinated omission). The legend switches on all requests' P95" + more + "."
	}
	if k := bucketSize(len(all.Intervals), maxPoints); k > 1 {
		b.Note += fmt.Sprintf(" Downsampled for display: each point is the worst of %d seconds.", k)
	}
	return b
}

// shownEndpoints is how many endpoints the latency chart draws at first:
// the slowest.
const shownEndpoints = 3

// slowestEndpoints lists the run's endpoints by the P95 of their
// successful requests, slowest first (those without one last, by name).
func slowestEndpoints(run *record.Run) []string {
	names := endpointNames(run)
	p95 := func(n string) float64 {
		st := run.Endpoints[n]
		l, ok := st.LatencyOf(record.OK)
		if !ok {
			return -1
		}
		return l.P95
	}
	sort.SliceStable(names, func(i, j int) bool { return p95(names[i]) > p95(names[j]) })
	return names
}

// distributionChart draws the HDR percentile distribution: latency by
// percentile on a log axis of 1/(1-p), overall and per endpoint.
func distributionChart(d *runData) chartBlock {
	b := chartBlock{ID: ChartDistribution, Title: "Latency by percentile"}
	all := d.Series[""]
	if all == nil || all.Total == nil || all.Total.TotalCount() == 0 {
		b.Missing = "no latency recorded (" + record.HlogFile + " absent or empty)"
		return b
	}
	spec := lineSpec{
		ID: ChartDistribution, Title: b.Title, XName: "percentile", YName: "ms (log)", LogX: true, LogY: true, XLabels: xLabelsPercentile,
	}
	drawn := func(s *series) bool { return s != nil && s.Total != nil && s.Total.TotalCount() > 0 }
	if ok := d.seriesOf("", record.OK); drawn(ok) {
		spec.Lines = append(spec.Lines, line{Name: "successful", Points: percentilePoints(ok.Total)})
	}
	if f := d.seriesOf("", record.Failed); drawn(f) {
		spec.Lines = append(spec.Lines, line{Name: "failed", Points: percentilePoints(f.Total)})
	}
	spec.Lines = append(spec.Lines, line{Name: "all", Points: percentilePoints(all.Total), Hidden: len(spec.Lines) > 0})
	// As on the latency chart: the slowest few endpoints drawn, the
	// others offered by the selector.
	for _, l := range spec.Lines {
		spec.Legend = append(spec.Legend, l.Name)
	}
	shown := 0
	for _, tag := range slowestEndpoints(d.Run) {
		s, name := d.seriesOf(tag, record.OK), tag+" successful"
		if s == nil {
			s, name = d.Series[tag], tag+" all"
		}
		if !drawn(s) {
			continue
		}
		hidden := shown >= shownEndpoints
		spec.Lines = append(spec.Lines, line{Name: name, Points: percentilePoints(s.Total), Hidden: hidden})
		if hidden {
			spec.Selector = append(spec.Selector, name)
		} else {
			spec.Legend = append(spec.Legend, name)
			shown++
		}
	}
	b = spec.render()
	b.Note = "From the full histograms of the measured window, successful and failed requests apart (all requests can be switched on in the legend); the x axis is 1/(1−p), so each step right is one more nine; the y axis is logarithmic too, so that the tail and the median both show."
	if len(spec.Selector) > 0 {
		b.Note += fmt.Sprintf(" The %d slowest endpoints are drawn; the selector above the chart adds any other.", shownEndpoints)
	}
	return b
}

// percentilePoints samples a histogram at ten points a decade of 1/(1-p),
// from the median... to the last nine the count supports, then the max.
func percentilePoints(h *hdr.Histogram) []xy {
	n := float64(h.TotalCount())
	var pts []xy
	for k := 0; ; k++ {
		x := math.Pow(10, float64(k)/10)
		if x > n || x > 1e6 {
			break
		}
		p := 100 - 100/x
		pts = append(pts, xy{x, float64(h.ValueAtPercentile(p)) / 1000})
	}
	pts = append(pts, xy{math.Min(n, 1e6), float64(h.Max()) / 1000})
	return pts
}

// throughputChart draws target and achieved rate per second.
func throughputChart(d *runData, maxPoints int) chartBlock {
	b := chartBlock{ID: ChartThroughput, Title: "Throughput: target vs achieved"}
	if d.Timeline == nil || len(d.Timeline.Points) == 0 {
		b.Missing = "no timeline (" + record.TimelineFile + " absent or empty)"
		return b
	}
	var target, achieved []xy
	for _, p := range d.Timeline.Points {
		target = append(target, xy{p.T, p.TargetRate})
		achieved = append(achieved, xy{p.T, p.AchievedRate})
	}
	name := "target rate"
	if d.Run.Plan.Model == "closed" {
		name = "users"
	}
	spec := lineSpec{ID: ChartThroughput, Title: b.Title, XName: "seconds", YName: "requests/s", Marks: stageMarks(d.Run), Areas: faultAreas(d.Run), End: measuredEnd(d.Run), Lines: []line{
		{Name: name, Points: downsampleMean(target, maxPoints), Step: true},
		{Name: "achieved", Points: downsampleMean(achieved, maxPoints)},
	}}
	return spec.render()
}

// inFlightChart draws the requests in flight each second: sent and not
// yet answered. It climbs when the target falls behind the plan.
func inFlightChart(d *runData, maxPoints int) chartBlock {
	b := chartBlock{ID: ChartInFlight, Title: "Requests in flight"}
	if d.Timeline == nil || len(d.Timeline.Points) == 0 {
		b.Missing = "no timeline (" + record.TimelineFile + " absent or empty)"
		return b
	}
	pts := make([]xy, 0, len(d.Timeline.Points))
	for _, p := range d.Timeline.Points {
		pts = append(pts, xy{p.T, float64(p.InFlight)})
	}
	spec := lineSpec{ID: ChartInFlight, Title: b.Title, XName: "seconds", YName: "requests", Marks: stageMarks(d.Run), Areas: faultAreas(d.Run), End: measuredEnd(d.Run),
		Lines: []line{{Name: "in flight", Points: downsampleMean(pts, maxPoints), Area: true}}}
	b = spec.render()
	b.Note = "Sent and not yet answered, each second: it climbs when the target answers slower than the plan sends."
	return b
}

// errorsChart draws errors per second by kind and by non-2xx status.
func errorsChart(d *runData, maxPoints int) chartBlock {
	b := chartBlock{ID: ChartErrors, Title: "Errors over time"}
	if d.Timeline == nil || len(d.Timeline.Points) == 0 {
		b.Missing = "no timeline (" + record.TimelineFile + " absent or empty)"
		return b
	}
	keys := map[string]bool{}
	for _, p := range d.Timeline.Points {
		for k := range p.ErrorKinds {
			keys["kind "+k] = true
		}
		for c := range p.StatusCodes {
			if len(c) == 0 || c[0] != '2' {
				keys["status "+c] = true
			}
		}
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	total := make([]xy, 0, len(d.Timeline.Points))
	some := false
	for _, p := range d.Timeline.Points {
		total = append(total, xy{p.T, float64(p.Errors)})
		some = some || p.Errors > 0
	}
	if !some && d.Run.Overall.Requests == d.Run.Overall.Successes {
		b.Empty = "No errors: every request of the run succeeded."
		return b
	}
	spec := lineSpec{ID: ChartErrors, Title: b.Title, XName: "seconds", YName: "errors/s", Marks: stageMarks(d.Run), Areas: faultAreas(d.Run), End: measuredEnd(d.Run),
		Lines: []line{{Name: "all errors", Points: downsampleMean(total, maxPoints), Area: true}}}
	for _, name := range names {
		pts := make([]xy, 0, len(d.Timeline.Points))
		for _, p := range d.Timeline.Points {
			var v int64
			if kind, ok := cutPrefix(name, "kind "); ok {
				v = p.ErrorKinds[kind]
			} else if code, ok := cutPrefix(name, "status "); ok {
				v = p.StatusCodes[code]
			}
			pts = append(pts, xy{p.T, float64(v)})
		}
		spec.Lines = append(spec.Lines, line{Name: name, Points: downsampleMean(pts, maxPoints)})
	}
	return spec.render()
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

// serverChart draws named series from the timeline in one chart, their
// values in the unit of the first (which they share): a ratio as a
// percentage, seconds as milliseconds, bytes as MiB.
func serverChart(d *runData, id, title string, series []record.Series, maxPoints int) chartBlock {
	b := chartBlock{ID: id, Title: title}
	if d.Timeline == nil {
		b.Missing = "no timeline (" + record.TimelineFile + " absent)"
		return b
	}
	if len(series) == 0 {
		b.Missing = "the run declares none of the series the chart names"
		return b
	}
	yName, scale := chartUnit(series[0].Unit)
	spec := lineSpec{ID: id, Title: title, XName: "seconds", YName: yName, Marks: stageMarks(d.Run), Areas: faultAreas(d.Run), End: measuredEnd(d.Run)}
	var names []string
	top := 0.0
	for _, s := range series {
		names = append(names, s.Name)
		var pts []xy
		for _, p := range d.Timeline.Points {
			if v, ok := p.Server[s.Name]; ok {
				pts = append(pts, xy{p.T, v * scale})
				top = math.Max(top, v*scale)
			}
		}
		if len(pts) > 0 {
			spec.Lines = append(spec.Lines, line{Name: s.Label(), Points: downsampleMean(pts, maxPoints)})
		}
	}
	if series[0].Unit == record.UnitRatio && top <= 100 {
		spec.YMax = 100 // a share: its whole range
	}
	if len(spec.Lines) == 0 {
		b.Missing = "no interval of the timeline holds " + joinOr(names)
		if why := seriesNotes(d.Run, names); why != "" {
			b.Missing += " (" + why + ")"
		}
		return b
	}
	b = spec.render()
	b.Note = "From the target's metrics: each point is the series over the scrapes that landed in its second (a counter's increase since the scrape before, a gauge as read)."
	return b
}

// chartUnit is how a chart draws values of a series unit: its y axis' name
// and the factor from the unit.
func chartUnit(unit string) (name string, scale float64) {
	switch unit {
	case record.UnitRatio:
		return "%", 100
	case record.UnitSeconds:
		return "ms", 1000
	case record.UnitBytes:
		return "MiB", 1.0 / (1 << 20)
	case record.UnitPerSecond:
		return "per second", 1
	}
	return "count", 1
}

// seriesNotes says why run.json has no window figure for the named series,
// for those it says so of: "db_p95: the histogram counted no …".
func seriesNotes(run *record.Run, names []string) string {
	var why []string
	for _, n := range names {
		if w := run.Server.SeriesNotes[n]; w != "" {
			why = append(why, n+": "+w)
		}
	}
	return strings.Join(why, "; ")
}

// declaredCharts draws the run's declared charts (record.Plan.Charts), in
// order, each with the id ChartSeriesPrefix and its 1-based place.
func declaredCharts(d *runData, maxPoints int) []chartBlock {
	var out []chartBlock
	for i, c := range d.Run.Plan.Charts {
		var series []record.Series
		for _, name := range c.Series {
			if s, ok := planSeries(d.Run, name); ok {
				series = append(series, s)
			}
		}
		out = append(out, serverChart(d, ChartSeriesPrefix+strconv.Itoa(i+1), c.Title, series, maxPoints))
	}
	return out
}

// memoryChart draws the harness's resident memory series
// (record.HarnessRSS), which every run with a metrics.url measures.
func memoryChart(d *runData, maxPoints int) chartBlock {
	s, ok := planSeries(d.Run, record.HarnessRSS)
	if !ok {
		return chartBlock{ID: ChartMemory, Title: "Target memory (RSS)", Missing: "the run did not scrape the target's metrics (no metrics.url)"}
	}
	return serverChart(d, ChartMemory, "Target memory (RSS)", []record.Series{s}, maxPoints)
}

// planSeries finds the named series name among the run's.
func planSeries(run *record.Run, name string) (record.Series, bool) {
	for _, s := range run.Plan.Series {
		if s.Name == name {
			return s, true
		}
	}
	return record.Series{}, false
}

func joinOr(names []string) string { return joinWords(names, "or") }

// joinWords lists words in a sentence: "a", "a or b", "a, b or c" with
// conj "or".
func joinWords(words []string, conj string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + conj + " " + words[len(words)-1]
}

// serverTimingChart draws the target's Server-Timing split (db, cache,
// llm, …) per second, stacked, when the timeline has it.
func serverTimingChart(d *runData, maxPoints int) chartBlock {
	b := chartBlock{ID: ChartServerTiming, Title: "Server-Timing split"}
	names := map[string]bool{}
	if d.Timeline != nil {
		for _, p := range d.Timeline.Points {
			for k := range p.Server {
				if n, ok := strings.CutPrefix(k, record.ServerTimingPrefix); ok && n != "" {
					names[n] = true
				}
			}
		}
	}
	if len(names) == 0 {
		b.Missing = "the target sent no Server-Timing header (timeline.json has no " + record.ServerTimingPrefix + "* metrics)"
		return b
	}
	spec := lineSpec{ID: ChartServerTiming, Title: b.Title, XName: "seconds", YName: "ms per request", Marks: stageMarks(d.Run), Areas: faultAreas(d.Run), End: measuredEnd(d.Run)}
	for _, n := range sortedKeys(names) {
		var pts []xy
		for _, p := range d.Timeline.Points {
			if v, ok := p.Server[record.ServerTimingPrefix+n]; ok {
				pts = append(pts, xy{p.T, v})
			}
		}
		spec.Lines = append(spec.Lines, line{Name: n, Points: downsampleMean(pts, maxPoints), Area: true})
	}
	b = spec.render()
	b.Note = "Where the target's own time went, from its Server-Timing header: mean milliseconds per request."
	return b
}

// runCharts builds every chart of a single-run report, in page order: the
// load's, the charts the scenario declares of its target's series, the
// target's memory, its Server-Timing split.
func runCharts(d *runData, maxPoints int) []chartBlock {
	charts := []chartBlock{
		latencyChart(d, maxPoints),
		throughputChart(d, maxPoints),
		inFlightChart(d, maxPoints),
		errorsChart(d, maxPoints),
		distributionChart(d),
	}
	charts = append(charts, declaredCharts(d, maxPoints)...)
	return append(charts, memoryChart(d, maxPoints), serverTimingChart(d, maxPoints))
}
