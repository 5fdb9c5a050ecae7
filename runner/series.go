package runner

import (
	"fmt"
	"regexp"

	dto "github.com/prometheus/client_model/go"

	"github.com/loadgate/loadgate/record"
)

// targetSeries is what a run measures of the target's metrics: the named
// series of the scenario (with the harness's own) and the series its gates
// write inline. Package record measures them from the scrapes
// (record.Series.Measure); the scraper reads what they aggregate.
type targetSeries struct {
	named   []record.Series
	queries []record.SeriesQuery
	sels    []*selector
}

// selector is one metric and label matchers the series read
// (record.SeriesQuery.Selector), and how they read it: a counter's
// increases, a gauge's value, a histogram's bucket increases.
type selector struct {
	key                  string
	metric               string
	matchers             []seriesMatcher
	counter, gauge, hist bool
}

type seriesMatcher struct {
	record.Matcher
	re *regexp.Regexp // for =~ and !~
}

// newTargetSeries lists the selectors of named and queries, each once; a
// bad regular expression or aggregation is an error naming the series.
func newTargetSeries(named []record.Series, queries []record.SeriesQuery) (*targetSeries, error) {
	ts := &targetSeries{named: named, queries: queries}
	byKey := map[string]*selector{}
	add := func(what string, q record.SeriesQuery) error {
		key := q.Selector()
		s := byKey[key]
		if s == nil {
			s = &selector{key: key, metric: q.Metric}
			for _, m := range q.Matchers {
				sm := seriesMatcher{Matcher: m}
				switch m.Op {
				case "=", "!=":
				case "=~", "!~":
					re, err := regexp.Compile("^(?:" + m.Value + ")$")
					if err != nil {
						return fmt.Errorf("series %s: label %s: %w", what, m.Label, err)
					}
					sm.re = re
				default:
					return fmt.Errorf("series %s: label %s: unknown operator %q", what, m.Label, m.Op)
				}
				s.matchers = append(s.matchers, sm)
			}
			byKey[key] = s
			ts.sels = append(ts.sels, s)
		}
		switch q.Agg {
		case record.AggIncrease, record.AggRate:
			s.counter = true
		case record.AggMax, record.AggLast, record.AggMean:
			s.gauge = true
		case record.AggQuantile:
			s.hist = true
		default:
			return fmt.Errorf("series %s: unknown aggregation %q", what, q.Agg)
		}
		return nil
	}
	for _, s := range named {
		if err := add(s.Name, s.Query); err != nil {
			return nil, err
		}
		if s.Over != nil {
			if err := add(s.Name, *s.Over); err != nil {
				return nil, err
			}
		}
	}
	for _, q := range queries {
		if err := add(q.Key(), q); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// matches reports whether a series' labels satisfy every matcher (a label
// the series lacks reads as "", as in PromQL).
func (s *selector) matches(m *dto.Metric) bool {
	for _, sm := range s.matchers {
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

// measure fills the server summary's series over the measured window of
// scrapes (record.MeasureWindow).
func (ts *targetSeries) measure(srv *record.Server, scrapes []record.Scrape, warmup float64) {
	srv.Series, srv.SeriesNotes = record.MeasureWindow(ts.named, ts.queries, scrapes, warmup)
}

// empty reports whether nothing is measured.
func (ts *targetSeries) empty() bool { return ts == nil || len(ts.named)+len(ts.queries) == 0 }
