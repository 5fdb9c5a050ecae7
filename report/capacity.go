package report

import (
	"bytes"
	"fmt"
	"path/filepath"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// capacityPage is what templates/capacity.html.tmpl draws.
type capacityPage struct {
	Title, Answer, Stopped string
	Facts                  []fact
	Gates                  []string
	// Series are the titles of the headline series, a column each.
	Series         []string
	Steps          []capacityRow
	Notes          []string
	Chart          chartBlock
	Assets         assets
	EChartsVersion string
}

type capacityRow struct {
	Level, P95, P99, Errors, Target, Achieved, Verdict, Failed, Dir string
	// Series are the step's headline series, formatted ("—" unmeasured).
	Series         []string
	Warnings       []string
	Knee, Capacity bool
}

// RenderCapacity writes report.html of a capacity search into dir: P95,
// error rate and achieved throughput against the level, the capacity and the
// knee marked, and a table of the steps with links to each step's report.
func RenderCapacity(dir string, c *record.Capacity, answer string, opts Options) error {
	o := opts.withDefaults()
	if err := o.check(); err != nil {
		return err
	}
	tpl, err := parseTemplates()
	if err != nil {
		return fmt.Errorf("report templates: %w", err)
	}
	a := loadAssets(o)
	p := capacityPage{
		Title:  fmt.Sprintf("loadgate · capacity · %s", c.Scenario),
		Answer: answer, Stopped: c.Stopped, Gates: c.Gates,
		Assets: a, EChartsVersion: EChartsVersion,
		Chart: capacityChart(c),
	}
	if a.Note != "" {
		p.Notes = append(p.Notes, a.Note)
		fmt.Fprintf(o.Stderr, "loadgate: %s: %s\n", filepath.Join(dir, record.ReportFile), a.Note)
	}
	p.Facts = []fact{
		{"scenario", c.Scenario}, {"target", c.Target}, {"profile", c.Profile}, {"model", c.Model},
		{"started", c.Started.UTC().Format(time.RFC3339)},
		{"steps", fmt.Sprintf("start %s, %s, at most %s; each held %s after a %s ramp, the first %s not measured",
			c.FormatLevel(c.Search.Start), c.StepWords(), c.FormatLevel(c.Search.Max),
			secs(c.Search.HoldS), secs(c.Search.RampS), secs(c.Search.ExcludeS))},
	}
	var headline []record.Series
	for _, s := range c.Series {
		if s.Headline {
			headline = append(headline, s)
			p.Series = append(p.Series, s.Label())
		}
	}
	for _, s := range c.Steps {
		r := capacityRow{
			Level: c.FormatLevel(s.Level), P95: gate.FormatMicros(s.P95US), P99: gate.FormatMicros(s.P99US),
			Errors: gate.Format(s.ErrorRate, "ratio"), Target: gate.Format(s.TargetRate, "rps"),
			Achieved: gate.Format(s.AchievedRate, "rps"), Verdict: s.Verdict, Dir: s.Dir,
			Knee: c.Knee != 0 && s.Level == c.Knee, Capacity: c.Found && s.Level == c.Capacity,
			Warnings: s.Warnings,
		}
		for _, h := range headline {
			v, ok := s.Series[h.Name]
			if !ok {
				r.Series = append(r.Series, "—")
				continue
			}
			r.Series = append(r.Series, h.Format(v))
		}
		if c.Model == "closed" {
			r.Target = "—" // users send as fast as they are answered: no planned rate
		}
		for _, g := range s.Gates {
			if g.Verdict != record.VerdictPass {
				r.Failed += g.Expr + " (" + g.Verdict + ") "
			}
		}
		if s.Error != "" {
			r.Failed += s.Error
		}
		p.Steps = append(p.Steps, r)
	}
	var html bytes.Buffer
	if err := tpl.ExecuteTemplate(&html, "capacity.html.tmpl", p); err != nil {
		return fmt.Errorf("rendering the capacity report: %w", err)
	}
	return record.WriteFile(filepath.Join(dir, record.ReportFile), html.Bytes())
}

func secs(s float64) string { return time.Duration(s * float64(time.Second)).String() }

// capacityChart is the ECharts option of the chart: P95 (ms) and achieved
// throughput (req/s) on the left and right axes, the error rate (%) on a
// third, all against the level; mark lines at the capacity and the knee.
func capacityChart(c *record.Capacity) chartBlock {
	var p95, errs, thr [][2]float64
	for _, s := range c.Steps {
		if s.Error != "" && s.Verdict == record.VerdictUnknown && s.AchievedRate == 0 {
			continue
		}
		p95 = append(p95, [2]float64{s.Level, s.P95US / 1000})
		errs = append(errs, [2]float64{s.Level, s.ErrorRate * 100})
		thr = append(thr, [2]float64{s.Level, s.AchievedRate})
	}
	var marks []map[string]any
	if c.Found {
		marks = append(marks, map[string]any{"xAxis": c.Capacity, "name": "capacity", "lineStyle": map[string]any{"color": "#1a7f37"}, "label": map[string]any{"formatter": "capacity " + c.FormatLevel(c.Capacity)}})
	}
	if c.Knee != 0 {
		marks = append(marks, map[string]any{"xAxis": c.Knee, "name": "knee", "lineStyle": map[string]any{"color": "#cf222e"}, "label": map[string]any{"formatter": "knee " + c.FormatLevel(c.Knee)}})
	}
	opt := map[string]any{
		"animation": false,
		"tooltip":   map[string]any{"trigger": "axis"},
		"legend":    map[string]any{"data": []string{"P95 (ms)", "achieved (req/s)", "errors (%)"}},
		"grid":      map[string]any{"right": 120},
		"xAxis":     map[string]any{"type": "value", "name": c.Unit(), "scale": true},
		"yAxis": []map[string]any{
			{"type": "value", "name": "P95 (ms)"},
			{"type": "value", "name": "req/s", "position": "right"},
			{"type": "value", "name": "errors %", "position": "right", "offset": 60, "min": 0},
		},
		"series": []map[string]any{
			{"name": "P95 (ms)", "type": "line", "yAxisIndex": 0, "data": p95, "markLine": map[string]any{"symbol": "none", "data": marks}},
			{"name": "achieved (req/s)", "type": "line", "yAxisIndex": 1, "data": thr},
			{"name": "errors (%)", "type": "line", "yAxisIndex": 2, "data": errs},
		},
	}
	return chartBlock{ID: "capacity-chart", Title: "P95, throughput and errors by level"}.drawn(chartData{Option: opt})
}
