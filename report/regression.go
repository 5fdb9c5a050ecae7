package report

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/loadgate/loadgate/record"
)

// regressionMetric returns how to read a metric a baseline check can
// compare: from run.json's stats and from one interval. Latencies are of
// the successful requests, as the gates read them.
func regressionMetric(name string) (pick func(*record.Stats) float64, perSecond func(interval) float64, ok bool) {
	lat := func(f func(l *record.Latency) float64, g func(interval) float64) (func(*record.Stats) float64, func(interval) float64, bool) {
		return func(s *record.Stats) float64 {
			l, _ := s.LatencyOf(record.OK)
			return f(&l)
		}, g, true
	}
	switch name {
	case "p50":
		return lat(func(l *record.Latency) float64 { return l.P50 }, func(i interval) float64 { return i.P50 })
	case "p90":
		return lat(func(l *record.Latency) float64 { return l.P90 }, func(i interval) float64 { return i.P90 })
	case "p95":
		return lat(func(l *record.Latency) float64 { return l.P95 }, func(i interval) float64 { return i.P95 })
	case "p99":
		return lat(func(l *record.Latency) float64 { return l.P99 }, func(i interval) float64 { return i.P99 })
	case "p99.9", "p999":
		return lat(func(l *record.Latency) float64 { return l.P999 }, func(i interval) float64 { return i.P999 })
	case "max":
		return lat(func(l *record.Latency) float64 { return l.Max }, func(i interval) float64 { return i.Max })
	}
	return nil, nil, false
}

// splitRegressionMetric splits "search.p95" into endpoint and metric.
func splitRegressionMetric(s string) (string, string, error) {
	if _, _, ok := regressionMetric(s); ok {
		return "", s, nil
	}
	for _, m := range []string{"p99.9", "p50", "p90", "p95", "p99", "p999", "max"} {
		if ep, ok := strings.CutSuffix(s, "."+m); ok && ep != "" {
			return ep, m, nil
		}
	}
	return "", "", fmt.Errorf("regression metric %q: use p50, p90, p95, p99, p99.9 or max, optionally prefixed by an endpoint (search.p95)", s)
}

// Delta is one metric of one series, compared between two runs.
type Delta struct {
	Endpoint string // empty for the whole run
	Metric   string // "p95", …
	Base     float64
	Value    float64 // in µs for latencies
	// Change is Value/Base - 1; NaN when Base is 0.
	Change float64
	// P is the rank test's p-value over the per-second samples.
	P float64
	// Significant is P < alpha: the difference is beyond noise.
	Significant bool
	// Samples are the numbers of per-second samples compared.
	BaseSamples, Samples int
	// BaseTimeout and Timeout are the runs' request timeouts (0: unknown):
	// a latency at the timeout is capped by it, and said so.
	BaseTimeout, Timeout time.Duration
}

// arrow is "21.8 s → 3.49 ms", a value capped by its run's timeout as
// "≥ 30 s, timeout".
func (d Delta) arrow() string {
	return latencyWords(d.Base, d.BaseTimeout) + " → " + latencyWords(d.Value, d.Timeout)
}

// change is changeWords of the delta, "≥ …" when the baseline was capped
// by its timeout and the run is faster (the true change is larger).
func (d Delta) change() string {
	w := changeWords(d.Base, d.Value, "us")
	if capped(d.Base, d.BaseTimeout) && d.Value < d.Base && !capped(d.Value, d.Timeout) {
		w = "≥ " + w
	}
	return w
}

// Words says the delta in plain words: "P95 −87 %: 2.1 s → 270 ms" or
// "P95 no significant change (120 ms → 122 ms, p = 0.41)".
func (d Delta) Words() string {
	name := strings.ToUpper(d.Metric[:1]) + d.Metric[1:]
	if d.Endpoint != "" {
		name = d.Endpoint + " " + name
	}
	arrow := d.arrow()
	if !d.Significant {
		return fmt.Sprintf("%s: no significant change (%s, %s)", name, arrow, formatP(d.P))
	}
	return fmt.Sprintf("%s %s: %s", name, d.change(), arrow)
}

// formatChange renders a ratio change as a signed percentage with a true
// minus sign: "+25 %", "−87 %".
func formatChange(c float64) string {
	if math.IsNaN(c) {
		return "n/a"
	}
	pct := c * 100
	digits := 0
	if math.Abs(pct) < 10 {
		digits = 1
	}
	s := fmt.Sprintf("%.*f %%", digits, math.Abs(pct))
	switch {
	case pct > 0:
		return "+" + s
	case pct < 0:
		return "−" + s
	}
	return "±" + s
}

func formatP(p float64) string {
	if p < 0.001 {
		return "p < 0.001"
	}
	return fmt.Sprintf("p = %.2g", p)
}

// errFewSamples is wrapped by compareSeries when a series has too few
// per-second samples for the rank test; the Delta's values are still set.
var errFewSamples = errors.New("too few per-second samples")

// UntestedWords says the delta in plain words when there were too few
// samples to tell it from noise: "log_meal P95 +3.0 %: 10 ms → 10.3 ms
// (too few per-second samples to test: 4 and 4)".
func (d Delta) UntestedWords() string {
	name := strings.ToUpper(d.Metric[:1]) + d.Metric[1:]
	if d.Endpoint != "" {
		name = d.Endpoint + " " + name
	}
	arrow := d.arrow()
	why := fmt.Sprintf("too few per-second samples to test against noise: %d and %d", d.BaseSamples, d.Samples)
	if d.Value == d.Base {
		return fmt.Sprintf("%s: no change (%s; %s)", name, arrow, why)
	}
	return fmt.Sprintf("%s %s: %s (%s)", name, d.change(), arrow, why)
}

// compareSeries compares metric of the endpoint (empty: whole run) between
// base and cur.
func compareSeries(base, cur *runData, endpoint, metric string, alpha float64) (Delta, error) {
	pick, perSecond, ok := regressionMetric(metric)
	if !ok {
		return Delta{}, fmt.Errorf("unknown regression metric %q", metric)
	}
	d := Delta{Endpoint: endpoint, Metric: metric, BaseTimeout: base.Run.Plan.Timeout, Timeout: cur.Run.Plan.Timeout}
	bs, cs := &base.Run.Overall, &cur.Run.Overall
	if endpoint != "" {
		b, ok1 := base.Run.Endpoints[endpoint]
		c, ok2 := cur.Run.Endpoints[endpoint]
		switch {
		case !ok1:
			return d, fmt.Errorf("the baseline %s has no endpoint %q", base.Dir, endpoint)
		case !ok2:
			return d, fmt.Errorf("the run %s has no endpoint %q", cur.Dir, endpoint)
		}
		bs, cs = &b, &c
	}
	for _, side := range []struct {
		s   *record.Stats
		dir string
	}{{bs, base.Dir}, {cs, cur.Dir}} {
		if _, ok := side.s.LatencyOf(record.OK); !ok {
			return d, fmt.Errorf("%s has no latency of successful requests for %s", side.dir, seriesName(endpoint))
		}
	}
	d.Base, d.Value = pick(bs), pick(cs)
	d.Change = math.NaN()
	if d.Base > 0 {
		d.Change = d.Value/d.Base - 1
	}
	a := samples(base.seriesOf(endpoint, record.OK), perSecond)
	b := samples(cur.seriesOf(endpoint, record.OK), perSecond)
	d.BaseSamples, d.Samples = len(a), len(b)
	if len(a) < minSamples || len(b) < minSamples {
		return d, fmt.Errorf("%w of %s to test (%d in the baseline, %d in the run; %d needed): is %s there?",
			errFewSamples, seriesName(endpoint), len(a), len(b), minSamples, record.HlogFile)
	}
	d.P = mannWhitney(a, b)
	d.Significant = d.P < alpha
	return d, nil
}

// minSamples is the fewest per-second samples a side needs for the rank
// test to be able to reach significance at all.
const minSamples = 5

func samples(s *series, f func(interval) float64) []float64 {
	if s == nil {
		return nil
	}
	out := make([]float64, 0, len(s.Intervals))
	for _, iv := range s.Intervals {
		if iv.Count > 0 {
			out = append(out, f(iv))
		}
	}
	return out
}

func seriesName(endpoint string) string {
	if endpoint == "" {
		return "the whole run"
	}
	return "endpoint " + endpoint
}

// regressionGates checks cur against base for each allowed regression and
// returns one gate each. A regression fails only when it is larger than
// allowed and significant; within noise it passes with "no significant
// change".
func regressionGates(base, cur *runData, limits map[string]float64, alpha float64) []record.Gate {
	names := make([]string, 0, len(limits))
	for n := range limits {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []record.Gate
	for _, name := range names {
		limit := limits[name]
		g := record.Gate{Expr: fmt.Sprintf("%s regression vs baseline <= %s", name, strings.TrimPrefix(formatChange(limit), "+")), Threshold: limit, Unit: "ratio"}
		ep, metric, err := splitRegressionMetric(name)
		if err == nil {
			var d Delta
			d, err = compareSeries(base, cur, ep, metric, alpha)
			if err == nil {
				switch {
				case math.IsNaN(d.Change):
					err = fmt.Errorf("the baseline's %s is 0", name)
				default:
					v := d.Change
					g.Value = &v
					g.Verdict = record.VerdictPass
					if d.Significant && d.Change > limit {
						g.Verdict = record.VerdictFail
					}
					g.Message = d.Words()
					if d.Significant && g.Verdict == record.VerdictFail {
						g.Message += fmt.Sprintf(" (%s), allowed %s", formatP(d.P), formatChange(limit))
					}
				}
			}
		}
		if err != nil {
			g.Verdict = record.VerdictUnknown
			g.Message = fmt.Sprintf("gate %q cannot be evaluated: %v", g.Expr, err)
		}
		out = append(out, g)
	}
	return out
}
