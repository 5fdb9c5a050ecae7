package record

import (
	"fmt"
	"math"
)

// How a named series or a gate's inline series is read from scrapes
// (Measure), over the measured window or one interval:
//   - increase: the sum of the scrapes' increases (each counted since the
//     scrape before it, reset-aware);
//   - rate: that sum over the seconds the increases cover;
//   - max, last, mean: of the gauge as each scrape read it;
//   - quantile: of the histogram made of the scrapes' bucket increases,
//     interpolated as Prometheus's histogram_quantile does;
//   - ratio(A, B): A over B, each measured as above.

// baselineSlackS is how long after the end of the warm-up the scrape that
// starts the measured window may land, in seconds.
const baselineSlackS = 1.0

// WindowStart is the index of the scrape the measured window is measured
// from: with a warm-up, the scrape taken when it ended (the first at most a
// second after it), else the last one before its end; without one, the
// first (the baseline before any load). Its gauges count in the window,
// its increases (before the window) do not.
func WindowStart(scrapes []Scrape, warmupS float64) int {
	base := 0
	for i, s := range scrapes {
		if s.AtS < warmupS {
			base = i
		}
	}
	if warmupS > 0 && base+1 < len(scrapes) && scrapes[base+1].AtS <= warmupS+baselineSlackS {
		base++
	}
	return base
}

// Measure measures s over scrapes, of which the increases of the first
// `from` are not counted (1 for a window whose first scrape is its base, 0
// for an interval). why says, when it is not "", why s could not be
// measured, in words for the measured window (an interval's reasons are
// never shown).
func (s Series) Measure(scrapes []Scrape, from int) (v float64, why string) {
	v, why = s.Query.Measure(scrapes, from)
	if why != "" || s.Over == nil {
		return v, why
	}
	over, why := s.Over.Measure(scrapes, from)
	if why != "" {
		return 0, why
	}
	if over == 0 {
		return 0, fmt.Sprintf("%s, which %s divides by, was 0 during the measured window", s.Over.Key(), s.Name)
	}
	return v / over, ""
}

// Measure measures q over scrapes as Series.Measure does.
func (q SeriesQuery) Measure(scrapes []Scrape, from int) (float64, string) {
	sel := q.Selector()
	counted := scrapes[min(from, len(scrapes)):]
	seen := false
	for _, s := range scrapes {
		_, inc := s.Increases[sel]
		_, g := s.Gauges[sel]
		_, b := s.Buckets[sel]
		seen = seen || inc || g || b
	}
	if (q.Counter() || q.Agg == AggQuantile) && len(counted) == 0 {
		return 0, fmt.Sprintf("%s: too few scrapes to measure an increase over the measured window (one scrape measures no window)", q.Key())
	}
	if !seen {
		return 0, fmt.Sprintf("the target exposed no series of %s matching %s during the measured window", q.Metric, q.Key())
	}
	switch q.Agg {
	case AggIncrease, AggRate:
		total, span := 0.0, 0.0
		for _, s := range counted {
			total += s.Increases[sel]
			span += s.Span()
		}
		if q.Agg == AggIncrease {
			return total, ""
		}
		if span <= 0 {
			return 0, fmt.Sprintf("%s: the scrapes of the measured window span no time", q.Key())
		}
		return total / span, ""
	case AggQuantile:
		var sum Buckets
		for _, s := range counted {
			sum = sum.Add(s.Buckets[sel])
		}
		if sum.Total() == 0 {
			return 0, fmt.Sprintf("%s: the histogram counted no observations during the measured window", q.Key())
		}
		return sum.Quantile(q.Q), ""
	}
	// A gauge: the scrapes that read it.
	n, sum, hi, last := 0, 0.0, math.Inf(-1), 0.0
	for _, s := range scrapes {
		v, ok := s.Gauges[sel]
		if !ok {
			continue
		}
		n, sum, hi, last = n+1, sum+v, math.Max(hi, v), v
	}
	if n == 0 {
		return 0, fmt.Sprintf("the target exposed %s only as a histogram, not a value to read", q.Selector())
	}
	switch q.Agg {
	case AggMax:
		return hi, ""
	case AggLast:
		return last, ""
	}
	return sum / float64(n), ""
}

// MeasureWindow measures every named series and inline query over the
// measured window of scrapes (from WindowStart to the last): the values of
// Server.Series, and for those that could not be measured, why
// (Server.SeriesNotes). Both maps are nil when empty.
func MeasureWindow(series []Series, queries []SeriesQuery, scrapes []Scrape, warmupS float64) (map[string]float64, map[string]string) {
	values, notes := map[string]float64{}, map[string]string{}
	var window []Scrape
	if len(scrapes) > 0 {
		window = scrapes[WindowStart(scrapes, warmupS):]
	}
	for _, s := range series {
		if len(window) == 0 {
			notes[s.Name] = "no scrape of the target's metrics succeeded"
			continue
		}
		if v, why := s.Measure(window, 1); why != "" {
			notes[s.Name] = why
		} else {
			values[s.Name] = v
		}
	}
	for _, q := range queries {
		key := q.Key()
		if len(window) == 0 {
			notes[key] = "no scrape of the target's metrics succeeded"
			continue
		}
		if v, why := q.Measure(window, 1); why != "" {
			notes[key] = why
		} else {
			values[key] = v
		}
	}
	if len(values) == 0 {
		values = nil
	}
	if len(notes) == 0 {
		notes = nil
	}
	return values, notes
}

// FillPoints puts the named series into the server maps of the points,
// each measured over the scrapes that landed in the point's second (every
// increase counted: each is since the scrape before it), and counts the
// restarts they saw under ServerRestarts. A scrape after the last point
// lands in the last.
func FillPoints(points []Point, scrapes []Scrape, series []Series) {
	if len(points) == 0 {
		return
	}
	for lo := 0; lo < len(scrapes); {
		idx := pointIndex(scrapes[lo].AtS, len(points))
		hi := lo + 1
		for hi < len(scrapes) && pointIndex(scrapes[hi].AtS, len(points)) == idx {
			hi++
		}
		group := scrapes[lo:hi]
		p := &points[idx]
		set := func(k string, v float64) {
			if p.Server == nil {
				p.Server = map[string]float64{}
			}
			p.Server[k] = v
		}
		restarts := 0
		for _, s := range group {
			if s.Restart != "" {
				restarts++
			}
		}
		if restarts > 0 {
			set(ServerRestarts, p.Server[ServerRestarts]+float64(restarts))
		}
		for _, s := range series {
			if v, why := s.Measure(group, 0); why == "" {
				set(s.Name, v)
			}
		}
		lo = hi
	}
}

func pointIndex(atS float64, n int) int {
	return min(max(int(atS), 0), n-1)
}

// RestartsOf lists the restarts the scrapes saw.
func RestartsOf(scrapes []Scrape) []Restart {
	var out []Restart
	for _, s := range scrapes {
		if s.Restart == "" || s.SinceS == nil {
			continue
		}
		out = append(out, Restart{AfterS: *s.SinceS, BeforeS: s.AtS, Sign: s.Restart})
	}
	return out
}
