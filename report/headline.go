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
	unit string // a gate unit: "us", "ratio", "rps"
	// lowerIsBetter says which way is an improvement.
	lowerIsBetter bool
	// timed is set for request latencies, which the request timeout caps.
	timed bool
	read  func(*record.Run) (float64, bool)
}

// headlineMetrics are the rows of the before/after table: what the seed's
// table had (P95, average response, DB query time, cache hit rate) plus the
// error rate and the throughput the runs achieved.
func headlineMetrics() []headlineMetric {
	ptr := func(p *float64, scale float64) (float64, bool) {
		if p == nil {
			return 0, false
		}
		return *p * scale, true
	}
	measured := func(r *record.Run) bool { return r.Overall.Requests > 0 }
	return []headlineMetric{
		// Latencies of the successful requests, as the gates read them.
		{"P95 latency (successful)", "us", true, true, func(r *record.Run) (float64, bool) {
			l, ok := r.Overall.LatencyOf(record.OK)
			return l.P95, ok
		}},
		{"average response (successful)", "us", true, true, func(r *record.Run) (float64, bool) {
			l, ok := r.Overall.LatencyOf(record.OK)
			return l.Mean, ok
		}},
		{"error rate", "ratio", true, false, func(r *record.Run) (float64, bool) { return r.Overall.ErrorRate, measured(r) }},
		{"cache hit rate", "ratio", false, false, func(r *record.Run) (float64, bool) { return ptr(r.Server.CacheHitRate, 1) }},
		{"DB query P95", "us", true, false, func(r *record.Run) (float64, bool) { return ptr(r.Server.DBQueryP95Seconds, 1e6) }},
		{"achieved rate (completed)", "rps", false, false, func(r *record.Run) (float64, bool) { return r.Overall.Rate.Achieved, measured(r) }},
	}
}

// headlineRows builds the before/after table of runs, the first being the
// baseline.
func headlineRows(runs []*record.Run) []HeadlineRow {
	var rows []HeadlineRow
	for _, m := range headlineMetrics() {
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
// relative size), and whether that is better or worse.
func headlineChange(m headlineMetric, base, v float64) string {
	if v == base {
		return "no change"
	}
	s := changeWords(base, v, m.unit)
	if m.unit == "ratio" {
		s = ppWords(base, v)
	}
	if (v < base) == m.lowerIsBetter {
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
