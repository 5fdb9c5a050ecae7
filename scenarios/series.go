package scenarios

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// NamedSeries are the named series a run of the scenario measures, parsed
// (gate.ParseSeries): with a metrics.url, the harness's own
// (record.HarnessSeries), then metrics.series in the order the scenario
// wrote them (by name for a scenario built in Go). A series that does not
// parse is left out: validation refuses it.
func (s *Scenario) NamedSeries() []record.Series {
	if s.Metrics.URL == "" {
		return nil
	}
	return s.seriesDefs()
}

// seriesDefs are NamedSeries whether or not metrics.url is set: what a gate
// may name (and is refused for without metrics.url, gate.Gate.Check).
func (s *Scenario) seriesDefs() []record.Series {
	out := record.HarnessSeries()
	for _, name := range s.seriesNames() {
		d := s.Metrics.Series[name]
		if record.ReservedSeriesName(name) != "" {
			continue
		}
		if p, err := gate.ParseSeries(name, d.Expr, d.Unit); err == nil {
			p.Title, p.Headline, p.Better = d.Title, d.Headline, d.Better
			out = append(out, p)
		}
	}
	return out
}

// Charts are the scenario's charts, as run.json records them.
func (s *Scenario) Charts() []record.Chart {
	var out []record.Chart
	for _, c := range s.Metrics.Charts {
		out = append(out, record.Chart{Title: c.Title, Series: slices.Clone(c.Series)})
	}
	return out
}

// seriesNames lists metrics.series' names in the order they were written.
func (s *Scenario) seriesNames() []string {
	names := make([]string, 0, len(s.Metrics.Series))
	for name := range s.Metrics.Series {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		pi, iok := s.pos["metrics.series."+names[i]]
		pj, jok := s.pos["metrics.series."+names[j]]
		if iok && jok && pi != pj {
			return pi.Line < pj.Line || pi.Line == pj.Line && pi.Column < pj.Column
		}
		return names[i] < names[j]
	})
	return names
}

// metrics validates metrics.series and metrics.charts: every problem,
// each where it was written. It notes the series it refused
// (v.refusedSeries), so that a gate naming one is not refused again.
func (v *validation) metrics() {
	m := v.s.Metrics
	v.refusedSeries = map[string]bool{}
	if m.URL == "" {
		if len(m.Series) > 0 {
			v.add("metrics.series", "named series are read from the target's Prometheus metrics: set metrics.url")
		}
		if len(m.Charts) > 0 {
			v.add("metrics.charts", "charts draw named series of the target's Prometheus metrics: set metrics.url")
		}
	}
	units := map[string]string{}
	for _, h := range record.HarnessSeries() {
		units[h.Name] = h.Unit
	}
	for _, name := range v.s.seriesNames() {
		d := m.Series[name]
		field := "metrics.series." + name
		if why := record.ReservedSeriesName(name); why != "" {
			v.add(field, "%q cannot name a series: %s", name, why)
			v.refusedSeries[name] = true
			continue
		}
		p, err := gate.ParseSeries(name, d.Expr, d.Unit)
		var se *gate.SeriesError
		switch {
		case errors.As(err, &se):
			v.add(field+se.Field(), "%v", se.Err)
			v.refusedSeries[name] = true
			continue
		case err != nil:
			v.add(field, "%v", err)
			v.refusedSeries[name] = true
			continue
		}
		units[name] = p.Unit
		if d.Better != "" && d.Better != record.BetterHigher && d.Better != record.BetterLower {
			v.add(field+".better", "%q: want %s or %s", d.Better, record.BetterHigher, record.BetterLower)
		}
	}
	for i, c := range m.Charts {
		field := fmt.Sprintf("metrics.charts[%d]", i)
		if strings.TrimSpace(c.Title) == "" {
			v.add(field+".title", "a chart needs a title")
		}
		if len(c.Series) == 0 {
			v.add(field+".series", "a chart draws at least one named series")
		}
		first := ""
		for j, name := range c.Series {
			unit, ok := units[name]
			switch {
			case !ok && v.refusedSeries[name]:
				// Refused above, where it was declared.
			case !ok:
				v.add(fmt.Sprintf("%s.series[%d]", field, j), "no series is named %q (metrics.series: %s)", name, listOr(v.s.seriesNames(), "none"))
			case first == "":
				first = c.Series[j]
			case unit != units[first]:
				v.add(fmt.Sprintf("%s.series[%d]", field, j), "a chart draws series of one unit: %s is %s, %s is %s", name, unit, first, units[first])
			}
		}
	}
}

func listOr(names []string, none string) string {
	if len(names) == 0 {
		return none
	}
	return strings.Join(names, ", ")
}

// namesRefusedSeries reports whether a gate that did not parse names a
// series refused where it was declared: the problem is said there.
func (v *validation) namesRefusedSeries(expr string) bool {
	lhs := expr
	if i := strings.IndexAny(expr, "<>=!"); i >= 0 {
		lhs = expr[:i]
	}
	return v.refusedSeries[strings.TrimPrefix(strings.TrimSpace(lhs), "server.")]
}
