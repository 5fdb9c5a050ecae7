package report

import (
	"fmt"
	"math"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// judgeGates evaluates the gates d is judged by, in order: parsed ones as
// given (a scenario's, parsed once at load and handed over by the owner
// of the run); when nil, the expressions (a run.json read back, a --gate
// flag), parsed here, one that does not parse judged unknown in its place
// with the parser's words.
func judgeGates(d *runData, exprs []string, parsed []gate.Gate) []record.Gate {
	if parsed != nil {
		return gate.EvaluateParsed(gateInput(d, parsed), parsed)
	}
	return gate.EvaluateInput(gateInput(d, parseValid(exprs, d.Run.Plan.Series)), exprs)
}

// parseValid parses the expressions that parse, leaving out the others
// (EvaluateInput judges those unknown).
func parseValid(exprs []string, declared []record.Series) []gate.Gate {
	var out []gate.Gate
	for _, e := range exprs {
		if g, err := gate.Parse(e, declared...); err == nil {
			out = append(out, g)
		}
	}
	return out
}

// gateInput computes the shape-specific metrics of a run for the gates:
// recovery time after a spike (against the p95 and error_rate bounds
// among gates), P95 drift and memory growth over a soak. Each one that
// cannot be computed says why.
func gateInput(d *runData, gates []gate.Gate) gate.Input {
	in := gate.Input{Run: d.Run, Extra: map[string]float64{}, Why: map[string]string{}}
	faultGateInput(d, &in) // with faults, the recovery time is theirs
	if len(d.Run.Faults) == 0 {
		if v, why := recoveryTime(d, gates); why != "" {
			in.Why[gate.MetricRecoveryTime] = why
		} else {
			in.Extra[gate.MetricRecoveryTime] = v
		}
	}
	if v, why := p95Drift(d); why != "" {
		in.Why[gate.MetricP95Drift] = why
	} else {
		in.Extra[gate.MetricP95Drift] = v
	}
	if v, why := memoryGrowth(d); why != "" {
		in.Why[gate.MetricMemoryGrowth] = why
	} else {
		in.Extra[gate.MetricMemoryGrowth] = v
	}
	return in
}

// recoveryGuard is how many consecutive seconds must be within the gates
// for the target to count as recovered.
const recoveryGuard = 3

// noOKSeries says why a per-second figure of the successful requests is
// missing from a log that has intervals.
const noOKSeries = record.HlogFile + " has no per-second latency of successful requests (it was written before latencies were split by outcome, and some requests failed)"

// recoveryTime is the time in seconds from the spike's end until the
// per-second P95 and error rate are back within their gates (and stay there
// for recoveryGuard seconds); +Inf when they never are before the run ends.
// The gates are the run's "p95 < …" and "error_rate < …" expressions
// (gate.RecoveryBounds); the P95 is that of the successful requests, as the
// p95 gate reads it, and a second with none is not recovered. A spike that
// ends with fewer than recoveryGuard measured seconds after it has no
// recovery to see: that is a reason, not +Inf.
func recoveryTime(d *runData, gates []gate.Gate) (float64, string) {
	end, ok := gate.SpikeEnd(d.Run.Plan.Stages)
	if !ok {
		return 0, "the run's stages have no spike (a peak stage followed by a lower one)"
	}
	all := d.Series[""]
	if all == nil || len(all.Intervals) == 0 {
		return 0, record.HlogFile + " has no intervals"
	}
	okSeries := d.seriesOf("", record.OK)
	if okSeries == nil {
		return 0, noOKSeries
	}
	okAt := map[float64]interval{}
	for _, iv := range okSeries.Intervals {
		okAt[iv.T] = iv
	}
	p95Max, errMax := gate.RecoveryBounds(gates)
	if math.IsInf(p95Max, 1) && math.IsInf(errMax, 1) {
		return 0, "recovery is measured against the p95 and error_rate gates, and the run has neither"
	}
	errRate := map[float64]float64{}
	if d.Timeline != nil {
		for _, p := range d.Timeline.Points {
			if p.Requests > 0 {
				errRate[p.T] = float64(p.Errors) / float64(p.Requests)
			}
		}
	}
	within := func(iv interval) bool {
		ok := okAt[iv.T]
		return ok.Count > 0 && ok.P95 < p95Max && errRate[iv.T] < errMax
	}
	ivs := all.Intervals
	after := 0 // measured seconds after the spike
	for i, iv := range ivs {
		if iv.T+1 <= end {
			continue // still in the spike
		}
		after++
		ok := true
		for k := i; k < len(ivs) && k < i+recoveryGuard; k++ {
			ok = ok && within(ivs[k])
		}
		if ok && i+recoveryGuard <= len(ivs) {
			return math.Max(0, iv.T-end), ""
		}
	}
	if after < recoveryGuard {
		return 0, tooNearTheEnd("the spike", after, recoveryGuard)
	}
	return math.Inf(1), ""
}

// tooNearTheEnd says why the recovery after what (a fault, the spike)
// cannot be measured: the run ended after fewer measured seconds than it
// takes.
func tooNearTheEnd(what string, after, need int) string {
	return fmt.Sprintf("%s ended %d measured second(s) before the run did: recovery needs %d measured seconds after it", what, after, need)
}

// p95Drift compares the P95 of the last tenth of the measured window (at
// least one second, at most five minutes) with the first: 0.1 is 10 %
// slower. A window's P95 is the median of its per-second P95s, which one
// bad second does not move. The P95s are of the successful requests.
func p95Drift(d *runData) (float64, string) {
	ok := d.seriesOf("", record.OK)
	if ok == nil && d.Series[""] != nil {
		return 0, noOKSeries
	}
	var p95s []float64
	if ok != nil {
		p95s = samples(ok, func(iv interval) float64 { return iv.P95 })
	}
	if len(p95s) < gate.MinDriftSeconds {
		return 0, fmt.Sprintf("drift needs at least %d measured seconds in %s, the run has %d", gate.MinDriftSeconds, record.HlogFile, len(p95s))
	}
	w := min(max(len(p95s)/10, 1), 300)
	first, last := median(p95s[:w]), median(p95s[len(p95s)-w:])
	if first <= 0 {
		return 0, "the first window's P95 is 0"
	}
	return last/first - 1, ""
}

// memoryGrowth is the slope of the target's resident memory, in bytes per
// hour, by least squares over the measured window.
func memoryGrowth(d *runData) (float64, string) {
	if d.Timeline == nil {
		return 0, record.TimelineFile + " is missing"
	}
	var n, sx, sy, sxx, sxy float64
	t0, t1 := math.Inf(1), math.Inf(-1)
	for _, p := range d.Timeline.Points {
		v, ok := p.Server[record.ServerRSSBytes]
		if !ok || p.Warmup {
			continue
		}
		n++
		sx += p.T
		sy += v
		sxx += p.T * p.T
		sxy += p.T * v
		t0, t1 = math.Min(t0, p.T), math.Max(t1, p.T)
	}
	if n < 2 || t1-t0 < 1 {
		return 0, "the target reported no resident memory (process_resident_memory_bytes) over the run"
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx) // bytes per second
	return slope * 3600, ""
}
