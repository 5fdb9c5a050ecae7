package report

import (
	"math"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/loadgate/loadgate/record"
)

// Chart ids of a comparison beyond the run page's.
const (
	ChartP95Endpoints = "p95endpoints"
)

// barSpec is a bar chart: categories on x, one series of values per name.
type barSpec struct {
	ID, Title, YName string
	LogY             bool
	Categories       []string
	Series           []barSeries
}

type barSeries struct {
	Name string
	// Values are one per category; nil draws no bar.
	Values []*float64
}

func (s barSpec) render() chartBlock {
	c := charts.NewBar()
	yType := "value"
	if s.LogY {
		yType = "log"
	}
	y := opts.YAxis{Type: yType, Name: s.YName}
	if s.LogY {
		// Bars on a log axis rise from its minimum: the power of ten
		// under the smallest value, so that no bar hangs below it.
		lo := math.Inf(1)
		for _, ser := range s.Series {
			for _, v := range ser.Values {
				if v != nil && *v > 0 {
					lo = math.Min(lo, *v)
				}
			}
		}
		if !math.IsInf(lo, 1) {
			y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
		}
	}
	// Every category is labelled (ECharts leaves out labels that would
	// touch); when they would not fit side by side they are slanted and
	// the plot makes room for them.
	rotate := 0
	grid := opts.Grid{Top: "40", Left: "70", Right: "30", Bottom: "60"}
	if labelsCrowded(s.Categories) {
		rotate = 30
		grid = opts.Grid{Top: "40", Left: "20", Right: "30", Bottom: "20", ContainLabel: opts.Bool(true)}
	}
	c.SetGlobalOptions(
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithGridOpts(grid),
		charts.WithYAxisOpts(y),
	)
	c.SetXAxis(s.Categories)
	for _, ser := range s.Series {
		data := make([]opts.BarData, len(ser.Values))
		for i, v := range ser.Values {
			if v == nil {
				data[i] = opts.BarData{Value: "-"} // ECharts' empty value
				continue
			}
			data[i] = opts.BarData{Value: round3(*v)}
		}
		c.AddSeries(ser.Name, data)
	}
	c.Validate()
	opt := c.JSON()
	opt["xAxis"] = []map[string]any{{"type": "category", "data": s.Categories,
		"axisLabel": map[string]any{"interval": 0, "rotate": rotate, "width": 160, "overflow": "truncate"}}}
	if s.LogY && y.Min != nil {
		// Bars rise from startValue (ECharts ≥ 5.5.1), not from 1.
		opt["yAxis"] = []map[string]any{{"type": "log", "name": s.YName, "min": y.Min, "startValue": y.Min}}
	}
	return chartBlock{ID: s.ID, Title: s.Title}.drawn(chartData{Option: opt})
}

// labelsCrowded reports whether categories' labels would not fit side by
// side under a plot about plotPx wide.
func labelsCrowded(categories []string) bool {
	if len(categories) == 0 {
		return false
	}
	slot := plotPx / float64(len(categories))
	for _, c := range categories {
		if float64(len([]rune(c)))*charPx > slot-2*charPx {
			return true
		}
	}
	return false
}

// p95EndpointsChart sets each endpoint's P95 of successful requests (and
// all endpoints') side by side, a bar per run, on a log axis so that 3 ms
// and 21 s both show.
func p95EndpointsChart(runs []*runData, labels []string) chartBlock {
	spec := barSpec{ID: ChartP95Endpoints, Title: "P95 of successful requests per endpoint", YName: "ms (log)", LogY: true}
	names := endpointNames(runs[0].Run)
	spec.Categories = append(append(spec.Categories, "all"), names...)
	for i, r := range runs {
		ser := barSeries{Name: labels[i]}
		for _, c := range spec.Categories {
			s, ok := r.Run.Overall, true
			if c != "all" {
				s, ok = r.Run.Endpoints[c]
			}
			l, has := s.LatencyOf(record.OK)
			if !ok || !has || l.P95 <= 0 {
				ser.Values = append(ser.Values, nil)
				continue
			}
			v := l.P95 / 1000
			ser.Values = append(ser.Values, &v)
		}
		spec.Series = append(spec.Series, ser)
	}
	b := spec.render()
	b.Note = "Log axis: each step up is ten times slower. A value at a run's request timeout was capped by it."
	return b
}

// timelineCompareChart draws one per-second figure of every run, from the
// start of its measured window (warm-up left out).
func timelineCompareChart(runs []*runData, labels []string, id, title, yName string, f func(record.Point) float64, maxPoints int) chartBlock {
	spec := lineSpec{ID: id, Title: title, XName: "seconds into the measured window", YName: yName, End: longestWindow(runs)}
	for i, r := range runs {
		if r.Timeline == nil {
			continue
		}
		var pts []xy
		for _, p := range r.Timeline.Points {
			if p.Warmup || p.T < r.Run.WarmupS || afterWindow(r.Run, p.T-r.Run.WarmupS, spec.End) {
				continue
			}
			pts = append(pts, xy{p.T - r.Run.WarmupS, f(p)})
		}
		if len(pts) > 0 {
			spec.Lines = append(spec.Lines, line{Name: labels[i], Points: downsampleMean(pts, maxPoints)})
		}
	}
	if len(spec.Lines) == 0 {
		return chartBlock{ID: id, Title: title, Missing: "no run has a timeline (" + record.TimelineFile + ")"}
	}
	return spec.render()
}

// compareErrorsChart draws every run's errors per second, or says "No
// errors" when no run had one.
func compareErrorsChart(runs []*runData, labels []string, maxPoints int) chartBlock {
	none := true
	for _, r := range runs {
		none = none && r.Run.Overall.Requests == r.Run.Overall.Successes
	}
	if none {
		return chartBlock{ID: ChartErrors, Title: "Errors per second", Empty: "No errors: every request of every run succeeded."}
	}
	return timelineCompareChart(runs, labels, ChartErrors, "Errors per second", "errors/s",
		func(p record.Point) float64 { return float64(p.Errors) }, maxPoints)
}

// measuredLength is how long a run's measured window lasts: from the end
// of its warm-up to the end of its plan's last stage; 0 when run.json has
// no stages.
func measuredLength(run *record.Run) float64 {
	if end := measuredEnd(run); end > 0 {
		return math.Max(end-run.WarmupS, 0)
	}
	return 0
}

// longestWindow is the longest measured window of the runs: a comparison's
// time charts end there, the drain after it shaded as on a run page.
func longestWindow(runs []*runData) float64 {
	end := 0.0
	for _, r := range runs {
		end = math.Max(end, measuredLength(r.Run))
	}
	return end
}

// afterWindow reports whether x (seconds into run's measured window) is
// after the end of that window, when the chart's window (end) is longer:
// the run's drain, not drawn. Points after the longest window are left to
// the chart, which shades them.
func afterWindow(run *record.Run, x, end float64) bool {
	own := measuredLength(run)
	return own > 0 && own < end && x > own+1e-9
}
