package gate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/loadgate/loadgate/record"
)

// Scope is what a run of one scenario will be able to measure, as far as
// gates care. A gate checked against it (Gate.Check) before the run is
// refused when its value could only be unknown: the whole load would be
// sent for a verdict that cannot be a pass or a fail.
type Scope struct {
	// Endpoints are the names the results will hold per endpoint: the
	// requests, each flow step (<flow>.<step>) and each flow's iterations
	// (<flow>.iteration).
	Endpoints []string
	// Checked are the endpoints whose results will count checks: each
	// step with checks and its flow's iterations, and "" (the whole run)
	// when any step has one.
	Checked []string
	// Faults are the names of the scenario's faults.
	Faults []string
	// Stages are the plan's stages, in which a spike is found (SpikeEnd).
	Stages []record.Stage
	// WarmupS is the warm-up in seconds; the measured window follows it.
	WarmupS float64
	// Scraped is set when the target's Prometheus metrics are scraped
	// (a scenario's metrics.url).
	Scraped bool
	// WritesChecked is set when the target's writes will be counted after
	// the run (run.json's writes, which writes_lost reads).
	WritesChecked bool
	// Gates are all the gates the run is judged by: the recovery after a
	// spike is measured against their bounds (RecoveryBounds).
	Gates []Gate
	// Streams are the endpoints whose responses are streams (stream: sse
	// or chunks); SLO is set when the scenario has an slo.
	Streams []string
	SLO     bool
}

// MetricChecks is the share of flow checks that passed: of the run, of a
// step (<flow>.<step>.checks) or of a flow's iterations
// (<flow>.iteration.checks).
const MetricChecks = "checks"

// MinDriftSeconds is how many measured seconds p95_drift needs: it compares
// the first and the last tenth of them, each at least one second.
const MinDriftSeconds = 4

// Check says why the gate can only be unknown in a run of scope, or nil
// when it can be evaluated there: an endpoint the results will not hold, a
// fault the scenario does not have, a metric scraped from a target that is
// not scraped, a target series likewise, fault metrics without faults,
// recovery_time with neither faults nor a spike (nor, after a spike, the
// p95 or error_rate gates it is measured against), checks where no check
// runs, writes_lost where the writes are not counted, p95_drift over
// fewer than MinDriftSeconds measured seconds. The error names the gate;
// the caller says where it was written.
func (g Gate) Check(s Scope) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("gate %q: %s", g.Expr, fmt.Sprintf(format, args...))
	}
	if g.Series != nil {
		if !s.Scraped {
			return fail("it reads the target series %s from the target's Prometheus metrics, and metrics.url is not set", g.Series.Key())
		}
		return nil
	}
	if g.Named != "" {
		if !s.Scraped {
			return fail("it reads the series %s from the target's Prometheus metrics, and metrics.url is not set", g.Named)
		}
		return nil
	}
	m, ok := lookupMetric(g.Metric)
	if !ok {
		return fail("unknown metric %q", g.Metric)
	}
	switch {
	case m.perFault && g.Endpoint != "":
		if !slices.Contains(s.Faults, g.Endpoint) {
			return fail("no fault is named %q (faults: %s)", g.Endpoint, listOrNone(s.Faults))
		}
	case g.Endpoint != "" && !slices.Contains(s.Endpoints, g.Endpoint):
		return fail("no request is named %q (endpoints: %s)", g.Endpoint, listOrNone(s.Endpoints))
	}
	if m.scraped && !s.Scraped {
		return fail("its metric is read from the target's Prometheus metrics, and metrics.url is not set")
	}
	if m.stream {
		if why := checkStream(g, s); why != "" {
			return fail("%s", why)
		}
	}
	switch g.Metric {
	case MetricFaultErrorRate:
		if len(s.Faults) == 0 {
			return fail("the scenario has no faults: %s is the error rate while a fault is on", MetricFaultErrorRate)
		}
	case MetricRecoveryTime:
		if len(s.Faults) > 0 {
			return nil // the faults' recovery
		}
		if _, ok := SpikeEnd(s.Stages); !ok {
			return fail("the scenario has neither faults nor a spike (a peak stage at least 1.5 times the first, followed by a lower one): there is nothing to recover from")
		}
		if p95, errs := RecoveryBounds(s.Gates); math.IsInf(p95, 1) && math.IsInf(errs, 1) {
			return fail("recovery after a spike is measured against the run's p95 and error_rate gates (< or <=), and the scenario has neither")
		}
	case MetricWritesLost:
		if !s.WritesChecked {
			return fail("the target's writes are not counted after this run (loadgate scenario counts them against the reference target, in a scenario with faults and no warm-up)")
		}
	case MetricP95Drift:
		if measured := planEnd(s.Stages) - s.WarmupS; measured < MinDriftSeconds {
			return fail("%s compares the first and the last measured seconds and needs at least %d of them; the scenario measures %gs", MetricP95Drift, MinDriftSeconds, math.Max(0, measured))
		}
	case MetricChecks:
		if !slices.Contains(s.Checked, g.Endpoint) {
			if g.Endpoint == "" {
				return fail("the scenario has no check (checks are written on flow steps: check:)")
			}
			return fail("%s holds no check (checks are written on flow steps: check:; endpoints with checks: %s)", g.Endpoint, listOrNone(slices.DeleteFunc(slices.Clone(s.Checked), func(e string) bool { return e == "" })))
		}
	}
	return nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func planEnd(stages []record.Stage) float64 {
	end := 0.0
	for _, s := range stages {
		end = math.Max(end, s.StartS+s.DurationS)
	}
	return end
}

// SpikeEnd finds the end of a spike in a plan's stages, in seconds since the
// start: the end of the last stage at the peak level, when the peak is at
// least 1.5 times the first stage's level and a lower stage follows it. ok
// is false when the plan has no spike. recovery_time without faults is
// measured from it.
func SpikeEnd(stages []record.Stage) (end float64, ok bool) {
	if len(stages) < 2 {
		return 0, false
	}
	level := func(s record.Stage) float64 { return math.Max(s.From, s.To) }
	peak, at := 0.0, -1
	for i, s := range stages {
		if l := level(s); l >= peak {
			peak, at = l, i
		}
	}
	if at < 0 || at == len(stages)-1 || peak < 1.5*level(stages[0]) || level(stages[at+1]) >= peak {
		return 0, false
	}
	return stages[at].StartS + stages[at].DurationS, true
}

// RecoveryBounds are what the recovery after a spike is measured against:
// the lowest threshold of the run-wide upper bounds on p95 (successful
// requests, µs) and on error_rate among gates; +Inf for a bound no gate
// sets.
func RecoveryBounds(gates []Gate) (p95US, errorRate float64) {
	p95US, errorRate = math.Inf(1), math.Inf(1)
	for _, g := range gates {
		if g.Series != nil || g.Named != "" || g.Endpoint != "" || (g.Op != Less && g.Op != LessEqual) {
			continue
		}
		switch g.Metric {
		case "p95":
			p95US = math.Min(p95US, g.Threshold)
		case "error_rate":
			errorRate = math.Min(errorRate, g.Threshold)
		}
	}
	return p95US, errorRate
}
