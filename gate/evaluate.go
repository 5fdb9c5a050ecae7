package gate

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/loadgate/loadgate/record"
)

// Input is what gates are evaluated against.
type Input struct {
	Run *record.Run
	// Extra holds the shape-specific metrics (MetricRecoveryTime,
	// MetricP95Drift, MetricMemoryGrowth) computed by the caller from the
	// timeline and the interval log, in their canonical units. A metric
	// missing here is unknown.
	Extra map[string]float64
	// Why says, by metric name, why an extra metric could not be computed
	// ("the run has no spike stage"); it goes into the unknown gate's message.
	Why map[string]string
	// Faults names the run's faults, for the per-fault metrics: Extra and
	// Why hold fault NAME's under "NAME.metric".
	Faults []string
}

// Evaluate evaluates each expression against the run. Every expression
// gives exactly one record.Gate, in order; an expression that does not
// parse or whose metric is absent gives verdict unknown with a message that
// names it.
func Evaluate(run *record.Run, exprs []string) []record.Gate {
	return EvaluateInput(Input{Run: run}, exprs)
}

// EvaluateInput is Evaluate with shape-specific metrics. An expression
// may name the run's named series (its plan.series).
func EvaluateInput(in Input, exprs []string) []record.Gate {
	out := make([]record.Gate, 0, len(exprs))
	var declared []record.Series
	if in.Run != nil {
		declared = in.Run.Plan.Series
	}
	for _, e := range exprs {
		g, err := Parse(e, declared...)
		if err != nil {
			out = append(out, record.Gate{Expr: strings.TrimSpace(e), Verdict: record.VerdictUnknown, Message: err.Error()})
			continue
		}
		out = append(out, g.Evaluate(in))
	}
	return out
}

// EvaluateParsed evaluates gates parsed once (a scenario's, at load):
// one record.Gate each, in order, as EvaluateInput gives for their
// expressions, without parsing them again.
func EvaluateParsed(in Input, gates []Gate) []record.Gate {
	out := make([]record.Gate, len(gates))
	for i, g := range gates {
		out[i] = g.Evaluate(in)
	}
	return out
}

// Evaluate evaluates one parsed gate.
func (g Gate) Evaluate(in Input) record.Gate {
	r := record.Gate{Expr: g.Expr, Threshold: g.Threshold, Unit: g.Unit}
	v, why := g.value(in)
	if why != "" {
		r.Verdict = record.VerdictUnknown
		r.Message = fmt.Sprintf("gate %q cannot be evaluated: %s", g.Expr, why)
		return r
	}
	name := g.Metric
	if g.Endpoint != "" {
		name = g.Endpoint + "." + g.Metric
	}
	if g.Population != "" {
		name += " (" + g.Population.Describe() + ")"
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		// Unbounded (a spike never recovered): no value to write, and only
		// a ">" gate could hold, which makes no sense for such metrics.
		r.Verdict = record.VerdictFail
		if math.IsInf(v, 1) && (g.Op == Greater || g.Op == GreaterEqual) {
			r.Verdict = record.VerdictPass
		}
		r.Message = fmt.Sprintf("%s is unbounded (never reached before the run ended), gate is %s %s", name, g.Op, Format(g.Threshold, g.Unit))
		return r
	}
	r.Value = &v
	if g.Op.holds(v, g.Threshold) {
		r.Verdict = record.VerdictPass
		r.Message = fmt.Sprintf("%s is %s, within %s %s", name, Format(v, g.Unit), g.Op, Format(g.Threshold, g.Unit))
	} else {
		r.Verdict = record.VerdictFail
		r.Message = fmt.Sprintf("%s is %s, gate is %s %s", name, Format(v, g.Unit), g.Op, Format(g.Threshold, g.Unit))
	}
	return r
}

// value reads the gate's metric; why is non-empty when it is absent.
func (g Gate) value(in Input) (float64, string) {
	if in.Run == nil {
		return 0, "no run"
	}
	if g.Series != nil || g.Named != "" {
		return g.seriesValue(in)
	}
	m, ok := lookupMetric(g.Metric)
	if !ok {
		return 0, fmt.Sprintf("unknown metric %q", g.Metric)
	}
	if m.read == nil {
		key := g.Metric
		if g.Endpoint != "" {
			key = g.Endpoint + "." + g.Metric
		}
		v, ok := in.Extra[key]
		if !ok {
			if why := in.Why[key]; why != "" {
				return 0, why
			}
			if g.Endpoint != "" {
				faults := "none"
				if len(in.Faults) > 0 {
					faults = strings.Join(in.Faults, ", ")
				}
				return 0, fmt.Sprintf("no fault named %q in this run (faults: %s)", g.Endpoint, faults)
			}
			return 0, fmt.Sprintf("%s was not computed for this run", g.Metric)
		}
		return v, ""
	}
	stats := &in.Run.Overall
	if g.Endpoint != "" {
		s, ok := in.Run.Endpoints[g.Endpoint]
		if !ok {
			// A flow's iterations: "<flow>.iteration".
			if flow, isIter := strings.CutSuffix(g.Endpoint, ".iteration"); isIter {
				fs, found := in.Run.Flows[flow]
				s, ok = fs.Iteration, found
			}
		}
		if !ok {
			return 0, fmt.Sprintf("no endpoint named %q in this run (endpoints: %s)", g.Endpoint, endpointList(in.Run))
		}
		stats = &s
	}
	v, ok := m.read(stats)
	if !ok {
		switch {
		case m.stream:
			return 0, streamWhy(g, stats)
		case g.Metric == MetricChecks:
			return 0, "no check ran on a measured response (checks belong to flow steps)"
		case stats.Requests == 0:
			return 0, "no requests were measured"
		case m.pop != "" && stats.Count(m.pop) <= 0:
			return 0, fmt.Sprintf("no %s were measured (%d requests, %d succeeded): there is no latency to judge", m.pop.Describe(), stats.Requests, stats.Successes)
		case m.pop != "":
			return 0, fmt.Sprintf("%s has no latency of %s (written before latencies were split by outcome, and %d of %d requests failed)", record.RunFile, m.pop.Describe(), stats.Requests-stats.Successes, stats.Requests)
		}
		return 0, fmt.Sprintf("%s is absent", g.Metric)
	}
	return v, ""
}

func endpointList(run *record.Run) string {
	if len(run.Endpoints) == 0 {
		return "none"
	}
	names := make([]string, 0, len(run.Endpoints)+len(run.Flows))
	for n := range run.Endpoints {
		names = append(names, n)
	}
	for n := range run.Flows {
		names = append(names, n+".iteration")
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Verdict combines gate verdicts: fail when any gate failed, whatever the
// others say (a gate that could not be evaluated does not hide a
// regression: the table still marks it unknown); else unknown when any
// could not be evaluated (or holds no verdict this package gives); else
// pass. No gates is a pass. It is the one rule of a run's verdict by its
// gates; the run's status and its generator may still change it (the
// report's decide).
func Verdict(gates []record.Gate) string {
	v := record.VerdictPass
	for _, g := range gates {
		switch g.Verdict {
		case record.VerdictFail:
			return record.VerdictFail
		case record.VerdictPass:
		default:
			v = record.VerdictUnknown
		}
	}
	return v
}
