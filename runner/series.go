package runner

import (
	"fmt"
	"math"
	"regexp"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/loadgate/loadgate/record"
)

// seriesQuery is a record.SeriesQuery ready to select series: what the
// scenario's gates on the target's own series need measured
// (gate.SeriesQueries).
type seriesQuery struct {
	record.SeriesQuery
	key      string
	matchers []seriesMatcher
}

type seriesMatcher struct {
	record.Matcher
	re *regexp.Regexp // for =~ and !~
}

// compileSeries prepares the queries; a bad regular expression is an error
// naming the query.
func compileSeries(qs []record.SeriesQuery) ([]*seriesQuery, error) {
	var out []*seriesQuery
	for _, q := range qs {
		c := &seriesQuery{SeriesQuery: q, key: q.Key()}
		switch q.Agg {
		case record.AggIncrease, record.AggRate, record.AggMax, record.AggLast, record.AggMean, record.AggQuantile:
		default:
			return nil, fmt.Errorf("series %s: unknown aggregation %q", c.key, q.Agg)
		}
		for _, m := range q.Matchers {
			sm := seriesMatcher{Matcher: m}
			switch m.Op {
			case "=", "!=":
			case "=~", "!~":
				re, err := regexp.Compile("^(?:" + m.Value + ")$")
				if err != nil {
					return nil, fmt.Errorf("series %s: label %s: %w", c.key, m.Label, err)
				}
				sm.re = re
			default:
				return nil, fmt.Errorf("series %s: label %s: unknown operator %q", c.key, m.Label, m.Op)
			}
			c.matchers = append(c.matchers, sm)
		}
		out = append(out, c)
	}
	return out, nil
}

// counter reports whether the query reads a counter (its increases).
func (q *seriesQuery) counter() bool { return q.Agg == record.AggIncrease || q.Agg == record.AggRate }

// matches reports whether a series' labels satisfy every matcher (a label
// the series lacks reads as "", as in PromQL).
func (q *seriesQuery) matches(m *dto.Metric) bool {
	for _, sm := range q.matchers {
		v := labelValue(m, sm.Label)
		var ok bool
		switch sm.Op {
		case "=":
			ok = v == sm.Value
		case "!=":
			ok = v != sm.Value
		case "=~":
			ok = sm.re.MatchString(v)
		case "!~":
			ok = !sm.re.MatchString(v)
		}
		if !ok {
			return false
		}
	}
	return true
}

// seriesReading is what one scrape read of the queried series: counter and
// bucket series one by one (so that each is reset-aware on its own), gauges
// summed per query.
type seriesReading struct {
	values map[seriesID]float64 // idx: the query; le for a bucket
	seen   []bool               // by query: a matching series was exposed
	gauges []float64            // by query (gauge queries): the matching series summed
}

// readSeries reads the queried series from a scrape's families.
func readSeries(families map[string]*dto.MetricFamily, qs []*seriesQuery) *seriesReading {
	if len(qs) == 0 {
		return nil
	}
	r := &seriesReading{values: map[seriesID]float64{}, seen: make([]bool, len(qs)), gauges: make([]float64, len(qs))}
	for i, q := range qs {
		fam, ok := families[q.Metric]
		if !ok {
			continue
		}
		for _, m := range fam.GetMetric() {
			if !q.matches(m) {
				continue
			}
			labels := labelKey(m)
			switch {
			case q.Agg == record.AggQuantile:
				h := m.GetHistogram()
				if h == nil {
					continue
				}
				inf := false
				for _, b := range h.GetBucket() {
					inf = inf || math.IsInf(b.GetUpperBound(), 1)
					r.values[seriesID{role: roleBucket, idx: i, le: b.GetUpperBound(), labels: labels}] += bucketCount(b)
				}
				if !inf {
					total := float64(h.GetSampleCount())
					if h.SampleCountFloat != nil {
						total = h.GetSampleCountFloat()
					}
					r.values[seriesID{role: roleBucket, idx: i, le: math.Inf(1), labels: labels}] += total
				}
			case q.counter():
				r.values[seriesID{role: roleCounter, idx: i, labels: labels}] += metricValue(m)
			default:
				r.gauges[i] += metricValue(m)
			}
			r.seen[i] = true
		}
	}
	return r
}

// seriesSample is the queried series of one scrape: gauges as read, the
// counters' and histograms' increases since the scrape before.
type seriesSample struct {
	seen      []bool
	gauges    []float64
	increases []float64    // by query (counter queries)
	hists     []*histogram // by query (quantile queries): bucket increases
}

// increaseSeries is increase() for the queried series: each series is
// reset-aware on its own, as in Prometheus (a value lower than before
// counted again from zero), and all of them restart with the target.
func increaseSeries(prev, cur *seriesReading, restarted bool) *seriesSample {
	if cur == nil {
		return nil
	}
	n := len(cur.seen)
	s := &seriesSample{seen: cur.seen, gauges: cur.gauges, increases: make([]float64, n), hists: make([]*histogram, n)}
	if prev == nil {
		return s
	}
	buckets := make([]map[float64]float64, n)
	for id, v := range cur.values {
		d := v
		if old, ok := prev.values[id]; ok && !restarted && v >= old {
			d = v - old
		}
		if id.role == roleBucket {
			if buckets[id.idx] == nil {
				buckets[id.idx] = map[float64]float64{}
			}
			buckets[id.idx][id.le] += d
			continue
		}
		s.increases[id.idx] += d
	}
	for i, b := range buckets {
		if b != nil {
			s.hists[i] = newHistogram(b, 0)
		}
	}
	return s
}

// summarizeSeries aggregates the queried series over the measured window:
// samples[base] is the scrape that starts it. It fills srv.Series, or
// srv.SeriesNotes with the reason a query could not be measured.
func summarizeSeries(srv *record.Server, qs []*seriesQuery, samples []sample, base int) {
	if len(qs) == 0 {
		return
	}
	srv.Series, srv.SeriesNotes = map[string]float64{}, map[string]string{}
	window := samples[base:] // the base scrape's gauges count; its increases do not
	span := window[len(window)-1].at - window[0].at
	for i, q := range qs {
		v, why := aggregate(q, i, window, span)
		if why != "" {
			srv.SeriesNotes[q.key] = why
			continue
		}
		srv.Series[q.key] = v
	}
	if len(srv.SeriesNotes) == 0 {
		srv.SeriesNotes = nil
	}
}

// aggregate is one query over the window's samples.
func aggregate(q *seriesQuery, i int, window []sample, span time.Duration) (float64, string) {
	seen := false
	for _, s := range window {
		seen = seen || (s.series != nil && s.series.seen[i])
	}
	if !seen {
		return 0, fmt.Sprintf("the target exposed no series of %s matching %s during the measured window", q.Metric, q.key)
	}
	if q.counter() || q.Agg == record.AggQuantile {
		if len(window) < 2 {
			return 0, fmt.Sprintf("%s: too few scrapes to measure an increase over the run (one scrape measures no window)", q.key)
		}
	}
	switch q.Agg {
	case record.AggIncrease, record.AggRate:
		total := 0.0
		for _, s := range window[1:] {
			total += s.series.increases[i]
		}
		if q.Agg == record.AggIncrease {
			return total, ""
		}
		if span <= 0 {
			return 0, fmt.Sprintf("%s: the scrapes span no time", q.key)
		}
		return total / span.Seconds(), ""
	case record.AggQuantile:
		var sum *histogram
		for _, s := range window[1:] {
			sum = sum.add(s.series.hists[i])
		}
		if sum.total() == 0 {
			return 0, fmt.Sprintf("%s: the histogram counted no observations during the measured window", q.key)
		}
		return sum.quantile(q.Q), ""
	}
	// A gauge: the scrapes that exposed it.
	n, sum, hi, last := 0, 0.0, math.Inf(-1), 0.0
	for _, s := range window {
		if s.series == nil || !s.series.seen[i] {
			continue
		}
		v := s.series.gauges[i]
		n, sum, hi, last = n+1, sum+v, math.Max(hi, v), v
	}
	switch q.Agg {
	case record.AggMax:
		return hi, ""
	case record.AggLast:
		return last, ""
	}
	return sum / float64(n), ""
}
