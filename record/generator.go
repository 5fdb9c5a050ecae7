package record

import (
	"fmt"
	"strings"
	"time"
)

// Generator says how well the load generator kept its plan over the
// measured window (open model; absent for a closed model, whose users send
// as fast as the target answers, and in run.json files from before it).
//
// The rates are defined once: Rate.Achieved is Completed per second of the
// measured window, Rate.Target is Planned per second, and Rate.Sent is Sent
// per second.
type Generator struct {
	// Planned is the number of requests (with flows: arrivals, an iteration
	// or a request each) the schedule had due in the measured window, up
	// to its end or to when the attack was asked to stop; Sent
	// how many of them left; Completed how many came back (a response or an
	// error; an iteration's end). Sent − Completed were in flight at the end.
	Planned   int64 `json:"planned"`
	Sent      int64 `json:"sent"`
	Completed int64 `json:"completed"`
	// Late counts requests that left more than 10 ms after their intended
	// send time; SendLag is the distribution of how late requests left
	// (µs), over all measured requests (on time counts as 0).
	Late    int64   `json:"late"`
	SendLag Latency `json:"send_lag_us"`
}

// Add adds o, the generator of another shard run side by side, to g: the
// counts add; the send lag is the worse of the two at each percentile, an
// upper bound of the exact one (lags do not add, and the shards' lag
// histograms are not kept).
func (g *Generator) Add(o Generator) {
	g.Planned += o.Planned
	g.Sent += o.Sent
	g.Completed += o.Completed
	g.Late += o.Late
	l, w := &g.SendLag, o.SendLag
	l.Min, l.Mean, l.P50, l.P90 = max(l.Min, w.Min), max(l.Mean, w.Mean), max(l.P50, w.P50), max(l.P90, w.P90)
	l.P95, l.P99, l.P999, l.Max = max(l.P95, w.P95), max(l.P99, w.P99), max(l.P999, w.P999), max(l.Max, w.Max)
}

// The thresholds beyond which the generator's lateness distorts a result,
// so that a verdict on it is inconclusive.
const (
	// MaxShortfall is the share of the planned requests that may go unsent
	// (by the end of the measured window) before the plan counts as not
	// kept: a run that did not do what it planned is inconclusive, whatever
	// its gates say.
	MaxShortfall = 0.01
	// MaxLagShare is how large the send-lag P99 may be against the measured
	// P50 latency (service time of the successful requests)…
	MaxLagShare = 0.5
	// …and MinDistortingLag is a floor under that: a lag below it distorts
	// no gate worth setting, whatever the P50.
	MinDistortingLag = 50 * time.Millisecond
)

// InFlightAtEnd is how many sent requests had not come back when the run
// ended.
func (g *Generator) InFlightAtEnd() int64 { return max(g.Sent-g.Completed, 0) }

// Distortion says, with the figures, why the generator's lateness distorts
// the run's result: more than MaxShortfall of the planned requests unsent
// (Shortfall), or a send lag P99 above MaxLagShare of the measured P50
// (p50US, and above MinDistortingLag: Lag). It is "" when the generator
// kept its plan, or when g is nil (a closed model, an older run.json).
func (g *Generator) Distortion(p50US float64) string {
	var why []string
	for _, w := range []string{g.Shortfall(), g.Lag(p50US)} {
		if w != "" {
			why = append(why, w)
		}
	}
	return strings.Join(why, ", and ")
}

// Shortfall says how many planned requests were never sent, when more than
// MaxShortfall of them were: the load the plan asked for was not applied,
// which distorts every figure.
func (g *Generator) Shortfall() string {
	if g == nil || g.Planned <= 0 {
		return ""
	}
	short := float64(g.Planned-g.Sent) / float64(g.Planned)
	if short <= MaxShortfall {
		return ""
	}
	return fmt.Sprintf("it sent %d of %d planned requests (%.1f %% short; at most %.0f %% may be)", g.Sent, g.Planned, short*100, MaxShortfall*100)
}

// Lag says how late requests left, when the send lag P99 is above
// MaxLagShare of the measured P50 (p50US) and MinDistortingLag. Latency is
// measured from the intended send time, so the lag is inside every latency
// figure: it distorts latencies, not error rates.
func (g *Generator) Lag(p50US float64) string {
	if g == nil {
		return ""
	}
	limit := max(MaxLagShare*p50US, float64(MinDistortingLag.Microseconds()))
	if g.SendLag.P99 <= limit {
		return ""
	}
	return fmt.Sprintf("its send lag P99 was %s against a measured P50 of %s (the lag may be at most %.0f %% of the P50, and at least %s distorts)",
		us(g.SendLag.P99), us(p50US), MaxLagShare*100, MinDistortingLag)
}

// us formats microseconds as a rounded duration.
func us(v float64) string {
	d := time.Duration(v * float64(time.Microsecond))
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// MeasuredP50 is the P50 the send lag is held against: the service time
// (from the actual send) of overall's successful requests.
func MeasuredP50(overall Stats) float64 {
	if l, ok := overall.ServiceTimeOf(OK); ok {
		return l.P50
	}
	return 0
}
