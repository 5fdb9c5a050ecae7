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

// side is what one side of a regression check is: one run (a directory,
// or a run held in memory), or several past runs of a history store, whose
// per-second samples are pooled and whose value is the median of theirs.
type side struct {
	// name says which run or runs in errors: a directory, or "the
	// baseline runs from history".
	name string
	runs []sideRun
}

// sideRun is one run of a side: its statistics, and the per-second
// summaries of the successful requests of a series ("" the whole run).
type sideRun struct {
	run     *record.Run
	seconds func(endpoint string) []interval
}

// sideOf is the side of one run directory.
func sideOf(d *runData) side {
	return side{name: d.Dir, runs: []sideRun{{run: d.Run, seconds: func(ep string) []interval {
		if s := d.seriesOf(ep, record.OK); s != nil {
			return s.Intervals
		}
		return nil
	}}}}
}

// sideOfPast is the side of past runs from a history store.
func sideOfPast(name string, past []record.PastRun) side {
	sd := side{name: name}
	for _, p := range past {
		sd.runs = append(sd.runs, sideRun{run: p.Run, seconds: func(ep string) []interval {
			secs := p.Seconds[ep]
			out := make([]interval, len(secs))
			for i, sec := range secs {
				out[i] = interval{T: sec.T, Count: sec.Count, P50: sec.P50, P90: sec.P90, P95: sec.P95, P99: sec.P99, P999: sec.P999, Max: sec.Max}
			}
			return out
		}})
	}
	return sd
}

// endpoints lists the endpoints every run of the side has, sorted.
func (sd side) endpoints() []string {
	if len(sd.runs) == 0 {
		return nil
	}
	var out []string
	for _, n := range endpointNames(sd.runs[0].run) {
		all := true
		for _, r := range sd.runs[1:] {
			_, ok := r.run.Endpoints[n]
			all = all && ok
		}
		if all {
			out = append(out, n)
		}
	}
	return out
}

// commonSideEndpoints lists the endpoints every run of both sides has.
func commonSideEndpoints(a, b side) []string {
	in := map[string]bool{}
	for _, n := range b.endpoints() {
		in[n] = true
	}
	var out []string
	for _, n := range a.endpoints() {
		if in[n] {
			out = append(out, n)
		}
	}
	return out
}

// value is the side's value of metric for a series, and its pooled
// per-second samples: one run's own, or the median of several runs' and
// all their seconds.
func (sd side) value(endpoint string, pick func(*record.Stats) float64, perSecond func(interval) float64) (v float64, samples []float64, err error) {
	if len(sd.runs) == 0 {
		return 0, nil, fmt.Errorf("%s: no run", sd.name)
	}
	var vs []float64
	for _, r := range sd.runs {
		st := &r.run.Overall
		if endpoint != "" {
			s, ok := r.run.Endpoints[endpoint]
			if !ok {
				return 0, nil, fmt.Errorf("%s has no endpoint %q", sd.runName(r), endpoint)
			}
			st = &s
		}
		if _, ok := st.LatencyOf(record.OK); !ok {
			return 0, nil, fmt.Errorf("%s has no latency of successful requests for %s", sd.runName(r), seriesName(endpoint))
		}
		vs = append(vs, pick(st))
		for _, iv := range r.seconds(endpoint) {
			if iv.Count > 0 {
				samples = append(samples, perSecond(iv))
			}
		}
	}
	return median(vs), samples, nil
}

// runName names one run of the side in an error.
func (sd side) runName(r sideRun) string {
	if len(sd.runs) == 1 {
		return sd.name
	}
	return sd.name + " (" + r.run.ID + ")"
}

// compareSeries compares metric of the endpoint (empty: whole run) between
// base and cur.
func compareSeries(base, cur side, endpoint, metric string, alpha float64) (Delta, error) {
	pick, perSecond, ok := regressionMetric(metric)
	if !ok {
		return Delta{}, fmt.Errorf("unknown regression metric %q", metric)
	}
	d := Delta{Endpoint: endpoint, Metric: metric}
	if len(base.runs) > 0 {
		d.BaseTimeout = base.runs[0].run.Plan.Timeout
	}
	if len(cur.runs) > 0 {
		d.Timeout = cur.runs[0].run.Plan.Timeout
	}
	var a, b []float64
	var err error
	if d.Base, a, err = base.value(endpoint, pick, perSecond); err != nil {
		return d, err
	}
	if d.Value, b, err = cur.value(endpoint, pick, perSecond); err != nil {
		return d, err
	}
	d.Change = math.NaN()
	if d.Base > 0 {
		d.Change = d.Value/d.Base - 1
	}
	d.BaseSamples, d.Samples = len(a), len(b)
	if len(a) < minSamples || len(b) < minSamples {
		return d, fmt.Errorf("%w of %s to test (%d in the baseline, %d in the run; %d needed): is %s there?",
			errFewSamples, seriesName(endpoint), len(a), len(b), minSamples, record.HlogFile)
	}
	d.P = mannWhitney(a, b)
	d.Significant = d.P < alpha
	return d, nil
}

// CompareRuns compares metric ("p95", "search.p95"; see
// Options.MaxRegression) between two sets of runs of a history store's
// kind, by the noise-aware test of a regression check: the median of the
// runs' values, and a rank test over all their per-second samples. It is
// how `loadgate bisect` tells a commit's runs from the good commit's.
func CompareRuns(base, cur []record.PastRun, metric string, alpha float64) (Delta, error) {
	ep, m, err := splitRegressionMetric(metric)
	if err != nil {
		return Delta{}, err
	}
	if alpha <= 0 {
		alpha = DefaultAlpha
	}
	return compareSeries(sideOfPast("the baseline runs", base), sideOfPast("the runs", cur), ep, m, alpha)
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

// regressionExpr is how a regression gate reads: "p95 regression vs
// baseline <= 10 %".
func regressionExpr(name string, limit float64) string {
	return fmt.Sprintf("%s regression vs baseline <= %s", name, strings.TrimPrefix(formatChange(limit), "+"))
}

// regressionGates checks cur against base for each allowed regression and
// returns one gate each. A regression fails only when it is larger than
// allowed and significant; within noise it passes with "no significant
// change".
func regressionGates(base, cur side, limits map[string]float64, alpha float64) []record.Gate {
	names := make([]string, 0, len(limits))
	for n := range limits {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []record.Gate
	for _, name := range names {
		limit := limits[name]
		g := record.Gate{Expr: regressionExpr(name, limit), Threshold: limit, Unit: "ratio"}
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
