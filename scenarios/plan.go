package scenarios

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/loadgate/loadgate/redact"
)

// TotalDuration is the sum of the stage durations, warm-up included.
func (s *Scenario) TotalDuration() time.Duration {
	var total time.Duration
	for _, st := range s.Load.Stages {
		total += st.Duration.D()
	}
	return total
}

// ExpectedRequests is the number of requests an open-model scenario sends
// (the pacer sends exactly this many when the generator keeps up); 0 for the
// closed model, whose count depends on the target's latency.
func (s *Scenario) ExpectedRequests() int64 {
	if s.Load.Model != ModelOpen {
		return 0
	}
	// The stages' counts (StageRequests) add up to this: each stage's
	// starts where the previous one's ended.
	total := 0.0
	for _, st := range s.Load.Stages {
		total += st.Duration.D().Seconds() * (st.Rate.From + st.Rate.To) / 2
	}
	return ceilHits(total)
}

// StageRequests is the number of requests stage i of an open-model scenario
// sends: the requests due in [start, end) of the stage, where request k
// (0-based) is due when the cumulative rate integral reaches k.
func (s *Scenario) StageRequests(i int) int64 {
	before := 0.0
	for _, st := range s.Load.Stages[:i] {
		before += st.Duration.D().Seconds() * (st.Rate.From + st.Rate.To) / 2
	}
	st := s.Load.Stages[i]
	after := before + st.Duration.D().Seconds()*(st.Rate.From+st.Rate.To)/2
	return ceilHits(after) - ceilHits(before)
}

// ceilHits is the number of integers k >= 0 with k < h, tolerant of
// floating-point noise.
func ceilHits(h float64) int64 {
	return int64(math.Ceil(h - 1e-9))
}

// Describe renders the resolved plan for a dry run: target, stages with
// rates, the request mix in percent, the expected request count and gates.
// URLs show no password and headers no secret value. Every string of the
// scenario is one line (redact.Terminal: a line feed shows as \n), but the
// description, whose lines are indented under its first: no text of the
// scenario's starts a line of the plan.
func (s *Scenario) Describe() string {
	var b strings.Builder
	line := redact.Terminal
	fmt.Fprintf(&b, "scenario  %s (%s)\n", line(s.Name), line(s.Source))
	if d := strings.TrimSpace(s.Description); d != "" {
		for _, l := range strings.Split(d, "\n") {
			fmt.Fprintf(&b, "          %s\n", line(strings.TrimRight(l, "\r")))
		}
	}
	fmt.Fprintf(&b, "target    %s (timeout %s, %s)\n", line(redact.URL(s.Target.BaseURL)), s.Target.Timeout, line(s.healthCheck()))
	if len(s.Target.Headers) > 0 {
		fmt.Fprintf(&b, "headers   %s\n", line(formatHeaders(s.Target.ShownHeaders(s.Target.Headers))))
	}
	fmt.Fprintf(&b, "model     %s, %s in total", s.Load.Model, roundForDisplay(s.TotalDuration()))
	if s.Load.Warmup > 0 {
		fmt.Fprintf(&b, ", first %s warm-up (not measured)", roundForDisplay(s.Load.Warmup.D()))
	}
	b.WriteByte('\n')
	inFlight, between, draws := "requests", "requests", "requests"
	if len(s.Flows) > 0 {
		inFlight, between, draws = "requests and flow iterations", "requests and iterations", "draws"
	}
	if s.Load.Model == ModelOpen {
		fmt.Fprintf(&b, "limits    %d %s in flight, %d connections\n", s.Load.MaxWorkers, inFlight, s.Load.MaxConnections)
	} else if !s.Load.ThinkTime.IsZero() {
		fmt.Fprintf(&b, "think     %s between a user's %s\n", s.Load.ThinkTime, between)
	}
	if s.Shard.Count > 0 {
		fmt.Fprintf(&b, "shard     %d/%d\n", s.Shard.Index, s.Shard.Count)
	}

	b.WriteString("\nstages\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  #\tstart\tduration\tlevel\t%s\n", draws)
	var start time.Duration
	for i, st := range s.Load.Stages {
		level, count := st.Users.String()+" users", "-"
		if s.Load.Model == ModelOpen {
			level = st.Rate.String()
			if !st.Rate.PerUnit {
				level += "/s"
			}
			count = fmt.Sprint(s.StageRequests(i))
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", i+1, roundForDisplay(start), roundForDisplay(st.Duration.D()), level, count)
		start += st.Duration.D()
	}
	tw.Flush()

	total := 0.0
	for _, r := range s.Requests {
		total += r.Weight
	}
	for _, f := range s.Flows {
		total += f.Weight
	}
	if len(s.Requests) > 0 {
		b.WriteString("\nrequests\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, r := range s.Requests {
			fmt.Fprintf(tw, "  %s\t%5.1f%%\t%s %s", line(r.Name), 100*r.Weight/total, line(r.Method), line(r.Path))
			if len(r.Headers) > 0 {
				fmt.Fprintf(tw, "\t(%s)", line(formatHeaders(s.Target.ShownHeaders(r.Headers))))
			}
			if r.Stream != "" {
				_, content := StreamsOf(r.Stream, r.StreamContent)
				fmt.Fprintf(tw, "\tstreamed (%s, content at %s)", r.Stream, line(content))
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
	for _, f := range s.Flows {
		fmt.Fprintf(&b, "\nflow %s  %.1f%% of the mix, %d steps per iteration\n", line(f.Name), 100*f.Weight/total, len(f.Steps))
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for i, st := range f.Steps {
			extra := ""
			if len(st.Check) > 0 {
				extra += fmt.Sprintf("  %d checks", len(st.Check))
			}
			if len(st.Extract) > 0 {
				extra += fmt.Sprintf("  extracts %s", line(strings.Join(sortedKeys(st.Extract), ", ")))
			}
			if !st.Think.IsZero() {
				extra += "  then think " + st.Think.String()
			}
			if st.Stream != "" {
				extra += "  streamed (" + st.Stream + ")"
			}
			fmt.Fprintf(tw, "  %d. %s\t%s %s\t%s\n", i+1, line(st.Name), line(st.Method), line(st.Path), extra)
		}
		tw.Flush()
	}
	if len(s.Setup) > 0 {
		fmt.Fprintf(&b, "  (and %d setup requests before the load)\n", len(s.Setup))
	}

	if s.Load.Model == ModelOpen && len(s.Flows) > 0 {
		fmt.Fprintf(&b, "\nexpected  %d draws of the mix (a flow's iteration or a request), about %.0f requests when every step succeeds\n",
			s.ExpectedRequests(), float64(s.ExpectedRequests())*s.stepsPerDraw())
	} else if s.Load.Model == ModelOpen {
		fmt.Fprintf(&b, "\nexpected  %d requests\n", s.ExpectedRequests())
	} else {
		b.WriteString("\nexpected  depends on the target's latency (closed model)\n")
	}
	if len(s.Faults) > 0 {
		b.WriteString("\nfaults\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, f := range s.Faults {
			span := "instant"
			if f.For > 0 {
				span = "for " + roundForDisplay(f.For.D())
			}
			fmt.Fprintf(tw, "  %s\tat %s\t%s\t%s %s\n", line(f.Label()), roundForDisplay(f.At.D()), span, line(f.Action), line(f.Target()))
		}
		tw.Flush()
	}
	if !s.SLO.IsZero() {
		var bounds []string
		for _, bd := range []struct {
			name string
			d    Duration
		}{{"ttft", s.SLO.TTFT}, {"tpot", s.SLO.TPOT}, {"itl", s.SLO.ITL}, {"e2e", s.SLO.E2E}} {
			if bd.d > 0 {
				bounds = append(bounds, bd.name+" <= "+bd.d.String())
			}
		}
		fmt.Fprintf(&b, "\nslo       %s (goodput: the share of streamed requests within every bound)\n", strings.Join(bounds, ", "))
	}
	b.WriteString("\ngates\n")
	if s.gatesOverridden {
		b.WriteString("  (given by --gate, in place of the scenario's)\n")
	}
	if len(s.Gates) == 0 {
		b.WriteString("  (none)\n")
	}
	for _, g := range s.Gates {
		fmt.Fprintf(&b, "  %s", line(g.Expr))
		if g.Abort != nil {
			fmt.Fprintf(&b, "  (aborts the run when it fails over %s, from %s after the warm-up)", g.Abort.Window, g.Abort.Grace)
		}
		b.WriteByte('\n')
	}
	if s.Metrics.URL != "" {
		fmt.Fprintf(&b, "\nmetrics   %s every %s\n", line(redact.URL(s.Metrics.URL)), s.Metrics.Interval)
		for _, ns := range s.NamedSeries() {
			fmt.Fprintf(&b, "  %-24s %s (%s)\n", line(ns.Name), line(ns.Expr), ns.Unit)
		}
	}
	return b.String()
}

// healthCheck says what is checked before the attack.
func (s *Scenario) healthCheck() string {
	switch s.Target.Health {
	case "":
		return "checked first: the base URL answers"
	case HealthNone:
		return "no check first"
	}
	return "checked first: " + s.Target.Health + " answers 2xx"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// roundForDisplay rounds d for people: to a tenth of a second from a second
// up (8.6s, 3m25.7s), else to three significant digits (429ms, 1.5ms). A
// scaled plan's stages last exact nanoseconds, which nobody needs to read.
func roundForDisplay(d time.Duration) string {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	unit := time.Duration(1)
	for x := d; x >= 1000; x /= 10 {
		unit *= 10
	}
	return d.Round(unit).String()
}

// formatHeaders renders headers sorted by name: "Accept: a, X-Key: xxxxx".
func formatHeaders(h map[string]string) string {
	names := slices.Sorted(maps.Keys(h))
	for i, n := range names {
		names[i] = n + ": " + h[n]
	}
	return strings.Join(names, ", ")
}

// stepsPerDraw is the mean number of requests one draw of the mix sends
// when every step succeeds.
func (s *Scenario) stepsPerDraw() float64 {
	total, steps := 0.0, 0.0
	for _, r := range s.Requests {
		total += r.Weight
		steps += r.Weight
	}
	for _, f := range s.Flows {
		total += f.Weight
		steps += f.Weight * float64(len(f.Steps))
	}
	if total == 0 {
		return 0
	}
	return steps / total
}
