package report

import (
	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// HeadlineRow is one line of a comparison's before/after table, the table a
// performance project closes with: a metric, its value in each run, and the
// change of each later run against the first.
type HeadlineRow struct {
	Metric string
	// Values are formatted, one per run; "—" when the run lacks the metric.
	Values []string
	// Changes are one per later run, against the first: "−87 % (better)",
	// "+12 pp (better)" for ratios, "no change", or "—".
	Changes []string
}

// headlineMetric is how one row of the before/after table reads a run.
type headlineMetric struct {
	name string
	unit string // a gate unit: "us", "ratio", "rps", "s", "bytes", "count"
	// better says which way is an improvement (record.BetterHigher or
	// BetterLower); "" for none, and then a change is not judged.
	better string
	// timed is set for request latencies, which the request timeout caps.
	timed bool
	read  func(*record.Run) (float64, bool)
}

// headlineMetrics are the rows of the before/after table: the load's
// figures (P95, average response, error rate, achieved throughput) and the
// headline series the runs declare (metrics.series with headline: true:
// the built-in scenarios' cache hit rate and DB query P95), each in the
// first run's order that declares it.
func headlineMetrics(runs []*record.Run) []headlineMetric {
	measured := func(r *record.Run) bool { return r.Overall.Requests > 0 }
	rows := []headlineMetric{
		// Latencies of the successful requests, as the gates read them.
		{"P95 latency (successful)", "us", record.BetterLower, true, func(r *record.Run) (float64, bool) {
			l, ok := r.Overall.LatencyOf(record.OK)
			return l.P95, ok
		}},
		{"average response (successful)", "us", record.BetterLower, true, func(r *record.Run) (float64, bool) {
			l, ok := r.Overall.LatencyOf(record.OK)
			return l.Mean, ok
		}},
		{"error rate", "ratio", record.BetterLower, false, func(r *record.Run) (float64, bool) { return r.Overall.ErrorRate, measured(r) }},
	}
	seen := map[string]bool{}
	for _, r := range runs {
		for _, s := range r.Plan.Series {
			if !s.Headline || seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			name := s.Name
			rows = append(rows, headlineMetric{s.Label(), s.GateUnit(), s.Better, false, func(r *record.Run) (float64, bool) {
				v, ok := r.Server.Series[name]
				return v, ok
			}})
		}
	}
	return append(rows, headlineMetric{"achieved rate (completed)", "rps", record.BetterHigher, false, func(r *record.Run) (float64, bool) {
		return r.Overall.Rate.Achieved, measured(r)
	}})
}

// headlineRows builds the before/after table of runs, the first being the
// baseline.
func headlineRows(runs []*record.Run) []HeadlineRow {
	var rows []HeadlineRow
	for _, m := range headlineMetrics(runs) {
		row := HeadlineRow{Metric: m.name}
		base, baseOK := m.read(runs[0])
		for i, r := range runs {
			v, ok := m.read(r)
			if !ok {
				row.Values = append(row.Values, "—")
			} else {
				if m.timed {
					row.Values = append(row.Values, latencyWords(v, r.Plan.Timeout))
				} else {
					row.Values = append(row.Values, gate.Format(v, m.unit))
				}
			}
			if i == 0 {
				continue
			}
			if !ok || !baseOK {
				row.Changes = append(row.Changes, "—")
				continue
			}
			row.Changes = append(row.Changes, headlineChange(m, base, v))
		}
		rows = append(rows, row)
	}
	return rows
}

// headlineChange says how v differs from base: relative for latencies and
// rates, in percentage points for ratios (a change from 0 % has no
// relative size), and, when the metric says which way is better, whether
// that is better or worse.
func headlineChange(m headlineMetric, base, v float64) string {
	if v == base {
		return "no change"
	}
	s := changeWords(base, v, m.unit)
	if m.unit == "ratio" {
		s = ppWords(base, v)
	}
	switch {
	case m.better == "":
		return s
	case (v < base) == (m.better == record.BetterLower):
		return s + " (better)"
	}
	return s + " (worse)"
}

// headlineHeader is the table's column names: the metric, each run, and a
// change column per later run ("change" alone for two runs).
func headlineHeader(labels []string) []string {
	h := append([]string{"metric"}, labels...)
	for _, l := range labels[1:] {
		if len(labels) == 2 {
			h = append(h, "change")
		} else {
			h = append(h, "change ("+l+")")
		}
	}
	return h
}
