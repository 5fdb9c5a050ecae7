package record

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// Aggregations of a target series over the measured window.
const (
	AggIncrease = "increase" // a counter's reset-aware increase
	AggRate     = "rate"     // that increase per second of the window
	AggMax      = "max"      // a gauge's highest scrape
	AggLast     = "last"     // a gauge's last scrape
	AggMean     = "mean"     // the mean of a gauge's scrapes
	AggQuantile = "quantile" // a quantile of a histogram's bucket increases
)

// SeriesQuery is one aggregation of a target series, as a gate or a named
// series writes it: increase(orders_total{status="failed"}),
// quantile(0.95, checkout_seconds). Every label set of Metric that the
// matchers select is added up (at each scrape for a gauge). Metric may name
// a histogram's or a summary's _sum or _count, as in PromQL.
type SeriesQuery struct {
	Agg      string    `json:"agg"`
	Q        float64   `json:"q,omitempty"` // the quantile (AggQuantile)
	Metric   string    `json:"metric"`      // a histogram's name without _bucket
	Matchers []Matcher `json:"matchers,omitempty"`
}

// Matcher selects label sets as PromQL does: Op is "=", "!=", "=~" or "!~"
// (regular expressions anchored at both ends).
type Matcher struct {
	Label string `json:"label"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

// Key is the query written canonically: the key of Server.Series for a
// series a gate writes inline.
func (q SeriesQuery) Key() string {
	var b strings.Builder
	b.WriteString(q.Agg)
	b.WriteByte('(')
	if q.Agg == AggQuantile {
		b.WriteString(strconv.FormatFloat(q.Q, 'g', -1, 64))
		b.WriteString(", ")
	}
	b.WriteString(q.Selector())
	b.WriteByte(')')
	return b.String()
}

// Selector is the metric and its matchers written canonically
// (orders_total{status="failed"}): the key of what a scrape read of it
// (Scrape).
func (q SeriesQuery) Selector() string {
	if len(q.Matchers) == 0 {
		return q.Metric
	}
	var b strings.Builder
	b.WriteString(q.Metric)
	b.WriteByte('{')
	for i, m := range q.Matchers {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.Label + m.Op + strconv.Quote(m.Value))
	}
	b.WriteByte('}')
	return b.String()
}

// Counter reports whether the query reads a counter's increases.
func (q SeriesQuery) Counter() bool { return q.Agg == AggIncrease || q.Agg == AggRate }

// Units of a named series (Series.Unit).
const (
	UnitRatio     = "ratio"      // a fraction, shown as a percentage
	UnitSeconds   = "seconds"    // a duration
	UnitBytes     = "bytes"      // a size
	UnitCount     = "count"      // a plain number
	UnitPerSecond = "per_second" // a rate
)

// Which way a named series improves (Series.Better).
const (
	BetterHigher = "higher"
	BetterLower  = "lower"
)

// SeriesUnits lists the units a named series may have.
var SeriesUnits = []string{UnitRatio, UnitSeconds, UnitBytes, UnitCount, UnitPerSecond}

// Series is a named series: an aggregation of a metric the target exposes
// at metrics.url, declared by a scenario (metrics.series) or by the harness
// (HarnessSeries). The runner measures it over the measured window
// (Server.Series) and per interval (Point.Server), gates name it, charts
// draw it.
type Series struct {
	Name string `json:"name"`
	// Title names the series for people (charts, tables); Name when empty.
	Title string `json:"title,omitempty"`
	// Expr is the series expression as written: an aggregation, or
	// ratio(A, B) of two.
	Expr string `json:"expr"`
	// Unit is one of SeriesUnits.
	Unit string `json:"unit"`
	// Headline marks a series among the run's key figures: the before/after
	// table of a comparison, the capacity search's steps.
	Headline bool `json:"headline,omitempty"`
	// Better says which way is an improvement, BetterHigher or
	// BetterLower; empty when neither is (a comparison then says the
	// change without judging it).
	Better string `json:"better,omitempty"`
	// Query is Expr parsed; for ratio(A, B), A, with Over B.
	Query SeriesQuery  `json:"query"`
	Over  *SeriesQuery `json:"over,omitempty"`
}

// Label is the series' title, or its name without one.
func (s Series) Label() string {
	if s.Title != "" {
		return s.Title
	}
	return s.Name
}

// Format renders a value of the series in its unit for people: "83.2 %",
// "4.1 ms", "312 MiB", "12/s", "1200".
func (s Series) Format(v float64) string { return Format(v, s.GateUnit()) }

// GateUnit is the gate unit (Gate.Unit) a value of the series is written
// in: the series' own unit, spelled as gates spell it.
func (s Series) GateUnit() string {
	switch s.Unit {
	case UnitSeconds:
		return "s"
	case UnitPerSecond:
		return "rps"
	}
	return s.Unit
}

// Chart is a chart a scenario declares (metrics.charts): its named series
// drawn together over the run, in their one unit.
type Chart struct {
	Title  string   `json:"title"`
	Series []string `json:"series"`
}

// HarnessRSS is the named series the harness measures at every metrics.url
// whatever the scenario declares: the target's resident memory, from the
// process collector every Prometheus client library exposes. Its timeline
// values are what the memory_growth gate fits, and the memory chart draws.
const HarnessRSS = "rss_bytes"

// HarnessSeries are the series the harness measures at every metrics.url:
// Prometheus conventions, not any one target's (process_start_time_seconds,
// the other one, tells a restart and is no series).
func HarnessSeries() []Series {
	return []Series{{
		Name: HarnessRSS, Title: "RSS", Expr: "max(process_resident_memory_bytes)", Unit: UnitBytes,
		Query: SeriesQuery{Agg: AggMax, Metric: "process_resident_memory_bytes"},
	}}
}

// Scrape is one successful scrape of the target's metrics: what it read of
// the selectors the run's series aggregate (SeriesQuery.Selector), every
// matching label set added up. A selector the target did not expose is
// absent.
type Scrape struct {
	// AtS is when it was taken, in seconds since the attack started.
	AtS float64 `json:"at_s"`
	// SinceS is when the scrape before it was taken; absent for the first
	// one, which has no increases.
	SinceS *float64 `json:"since_s,omitempty"`
	// Restart names the sign of a target restart since SinceS
	// (process_start_time_seconds, or the counters that went backwards);
	// the increases then count from zero.
	Restart string `json:"restart,omitempty"`
	// Increases are counters' increases since SinceS, reset-aware per
	// label set as Prometheus's increase() is.
	Increases map[string]float64 `json:"increases,omitempty"`
	// Gauges are gauges as read.
	Gauges map[string]float64 `json:"gauges,omitempty"`
	// Buckets are histograms' bucket increases since SinceS.
	Buckets map[string]Buckets `json:"buckets,omitempty"`
}

// Span is how many seconds the scrape's increases cover (0 for the first).
func (s Scrape) Span() float64 {
	if s.SinceS == nil {
		return 0
	}
	return s.AtS - *s.SinceS
}

// Buckets are a histogram's cumulative counts by upper bound: Le holds the
// finite bounds, ascending; N one count more, the last being the +Inf
// bucket (every observation).
type Buckets struct {
	Le []float64 `json:"le"`
	N  []float64 `json:"n"`
}

// NewBuckets makes Buckets of cumulative counts by bound (+Inf among them,
// or not: then the highest count is every observation).
func NewBuckets(byBound map[float64]float64) Buckets {
	var b Buckets
	inf, hasInf := byBound[math.Inf(1)]
	for le := range byBound {
		if !math.IsInf(le, 1) {
			b.Le = append(b.Le, le)
		}
	}
	sort.Float64s(b.Le)
	for _, le := range b.Le {
		b.N = append(b.N, byBound[le])
	}
	if !hasInf && len(b.N) > 0 {
		inf = b.N[len(b.N)-1]
	}
	b.N = append(b.N, inf)
	return b
}

// Total is the number of observations.
func (b Buckets) Total() float64 {
	if len(b.N) == 0 {
		return 0
	}
	return b.N[len(b.N)-1]
}

// Add returns the sum of two histograms of increases, bucket by bucket over
// the union of their bounds (exact when the bounds are the same, as they are
// in scrapes of one target).
func (b Buckets) Add(o Buckets) Buckets {
	if len(b.N) == 0 {
		return o
	}
	if len(o.N) == 0 {
		return b
	}
	m := map[float64]float64{}
	for _, x := range []Buckets{b, o} {
		for i, le := range x.Le {
			m[le] += x.N[i]
		}
		m[math.Inf(1)] += x.Total()
	}
	return NewBuckets(m)
}

// Quantile estimates the q-quantile (0 < q < 1) as Prometheus's
// histogram_quantile does: find the bucket that holds rank q·count and
// interpolate linearly inside it (from 0 for the first bucket); in the +Inf
// bucket the answer is the highest finite bound. NaN when b is empty.
func (b Buckets) Quantile(q float64) float64 {
	n := b.Total()
	if n == 0 || len(b.Le) == 0 {
		return math.NaN()
	}
	rank := q * n
	last := len(b.Le) // the +Inf bucket
	i := sort.Search(last, func(i int) bool { return b.N[i] >= rank })
	if i == last {
		return b.Le[last-1]
	}
	if i == 0 && b.Le[0] <= 0 {
		return b.Le[0]
	}
	start, end, count := 0.0, b.Le[i], b.N[i]
	if i > 0 {
		start = b.Le[i-1]
		count -= b.N[i-1]
		rank -= b.N[i-1]
	}
	if count <= 0 {
		return end
	}
	return start + (end-start)*(rank/count)
}
