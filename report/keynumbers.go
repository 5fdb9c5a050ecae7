package report

import (
	"fmt"
	"slices"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// keyNumber is one figure of the strip under a run page's verdict: what a
// stakeholder reads first, before any table.
type keyNumber struct {
	ID, Label, Value string
	// Sub says what the value counts, or what it is against.
	Sub string
	// Gate is the run-wide gates on this figure with their verdicts
	// ("p95 < 3s: pass"), and Verdict the worst of them; both empty when
	// no gate reads it.
	Gate, Verdict string
}

// keyNumbers are the run's P95 and error rate, its achieved rate against
// the planned one, its cache hit rate when the target reported one, and
// its requests (completed, against the plan when the run recorded one);
// each marked by the run-wide gates on it.
func keyNumbers(run *record.Run, gates []record.Gate) []keyNumber {
	o := run.Overall
	p95 := keyNumber{ID: "key-p95", Label: "P95 latency", Value: "—", Sub: "no successful request"}
	if l, ok := o.LatencyOf(record.OK); ok {
		p95.Value = gate.FormatMicros(l.P95)
		p95.Sub = "successful requests · P99 " + gate.FormatMicros(l.P99)
	}
	errs := keyNumber{ID: "key-errors", Label: "error rate", Value: gate.Format(o.ErrorRate, "ratio"),
		Sub: fmt.Sprintf("%d of %d requests failed", o.Requests-o.Successes, o.Requests)}
	rate := keyNumber{ID: "key-rate", Label: "achieved rate", Value: gate.Format(o.Rate.Achieved, "rps"), Sub: "completed requests per second"}
	if run.Plan.Model != "closed" {
		rate.Sub = "of " + gate.Format(o.Rate.Target, "rps") + " planned"
		if o.Rate.Sent > 0 && gate.Format(o.Rate.Sent, "rps") != gate.Format(o.Rate.Achieved, "rps") {
			rate.Sub += " · sent " + gate.Format(o.Rate.Sent, "rps")
		}
	}
	keys := []keyNumber{p95, errs, rate}
	metrics := map[string][]string{
		"key-p95":      {"p95", "latency.p95", "ok.p95", "ok.latency.p95"},
		"key-errors":   {"error_rate"},
		"key-rate":     {"rate", "achieved_rate"},
		"key-requests": {"requests"},
	}
	// The target's headline series the run measured (the cache hit rate of
	// the built-in scenarios), each under its gates.
	for _, f := range headlineSeries(run) {
		if !f.Measured {
			continue
		}
		id := "key-series-" + f.Name
		keys = append(keys, keyNumber{ID: id, Label: f.Title, Value: f.Value, Sub: "the target's own figure"})
		metrics[id] = []string{f.Name, "server." + f.Name}
	}
	reqs := keyNumber{ID: "key-requests", Label: "requests", Value: fmt.Sprint(o.Requests), Sub: fmt.Sprintf("%d succeeded", o.Successes)}
	if g := run.Generator; g != nil {
		// What came back, against the plan: planned = completed + never
		// sent + in flight.
		reqs.Label, reqs.Value = "requests completed", fmt.Sprint(g.Completed)
		reqs.Sub = fmt.Sprintf("of %d planned · %d never sent · %d in flight at the end", g.Planned, g.Planned-g.Sent, g.InFlightAtEnd())
	}
	keys = append(keys, reqs)

	for i := range keys {
		k := &keys[i]
		for _, g := range gates {
			p, err := gate.Parse(g.Expr, run.Plan.Series...)
			if err != nil || p.Endpoint != "" || !slices.Contains(metrics[k.ID], p.Metric) {
				continue
			}
			if k.Gate != "" {
				k.Gate += " · "
			}
			k.Gate += g.Expr + ": " + g.Verdict
			if worse(g.Verdict, k.Verdict) {
				k.Verdict = g.Verdict
			}
		}
	}
	return keys
}

// worse reports whether verdict a is worse than b: fail over unknown over
// pass over none.
func worse(a, b string) bool {
	rank := func(v string) int {
		switch v {
		case record.VerdictPass:
			return 1
		case record.VerdictUnknown:
			return 2
		case record.VerdictFail:
			return 3
		}
		return 0
	}
	return rank(a) > rank(b)
}
