package runner

import (
	"fmt"
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// windowSigFigs is the precision of the abort window's histograms: two
// significant digits (1 %) are plenty to decide an abort, and keep a second
// of the window at about 20 KB per series and distribution.
const windowSigFigs = 2

// abortRule is one gate that ends the run when it fails: parsed when the
// scenario was loaded (scenarios.Gate.Parsed), evaluated every second.
type abortRule struct {
	gate          gate.Gate
	window, grace time.Duration
	unknown       string // why it could not be evaluated, the first time
}

// abortWatch evaluates the abort gates every second over a sliding window
// of the measured results. The recorder's goroutine is its only user.
type abortWatch struct {
	rules []*abortRule
	judge func(g gate.Gate, window *record.Run) record.Gate
	names []string // endpoint names by index

	// slots hold one second each, a ring of the longest window; slot cur
	// is the second under way. filled counts the whole seconds held.
	slots       [][]windowSeries // [slot][0: overall, 1+i: endpoint i]
	cur, filled int
	scratch     []windowSeries // the window's sums, reused
	measuredEnd time.Duration  // end of the last whole second, since origin
}

// windowSeries is one series' results over one second (or, summed, a window).
type windowSeries struct {
	total            counters
	latency, service *hdr.Histogram
}

func newWindowSeries(highest int64) windowSeries {
	return windowSeries{latency: hdr.New(1, highest, windowSigFigs), service: hdr.New(1, highest, windowSigFigs)}
}

// newAbortWatch returns nil when the scenario has no abort gate; names
// are the recorder's endpoints (the requests, or with flows the requests,
// steps and iteration series). judge evaluates a gate over a window; nil
// is the gate's own evaluation.
func newAbortWatch(sc *scenarios.Scenario, names []string, judge func(gate.Gate, *record.Run) record.Gate, highest int64) *abortWatch {
	if judge == nil {
		judge = func(g gate.Gate, window *record.Run) record.Gate { return g.Evaluate(gate.Input{Run: window}) }
	}
	w := &abortWatch{judge: judge}
	var longest time.Duration
	for _, g := range sc.Gates {
		if g.Abort == nil {
			continue
		}
		w.rules = append(w.rules, &abortRule{gate: g.Parsed(), window: g.Abort.Window.D(), grace: g.Abort.Grace.D()})
		longest = max(longest, g.Abort.Window.D())
	}
	if len(w.rules) == 0 {
		return nil
	}
	w.names = names
	n := int(math.Ceil(longest.Seconds()))
	w.slots = make([][]windowSeries, n)
	for i := range w.slots {
		for range len(w.names) + 1 {
			w.slots[i] = append(w.slots[i], newWindowSeries(highest))
		}
	}
	for range len(w.names) + 1 {
		w.scratch = append(w.scratch, newWindowSeries(highest))
	}
	return w
}

// observe adds one measured result of endpoint ep (-1: none of the mix)
// to the second under way. This is on the hot path: no allocation.
func (w *abortWatch) observe(ep int, res *vegeta.Result, k kind, corrected, service int64) {
	slot := w.slots[w.cur]
	slot[0].observe(res, k, corrected, service)
	if ep >= 0 && ep < len(w.names) {
		slot[1+ep].observe(res, k, corrected, service)
	}
}

// observeOwn adds one measured result to endpoint ep's series only: a
// flow's iteration, which is not a request of the whole run.
func (w *abortWatch) observeOwn(ep int, res *vegeta.Result, k kind, corrected, service int64) {
	if ep >= 0 && ep < len(w.names) {
		w.slots[w.cur][1+ep].observe(res, k, corrected, service)
	}
}

func (s *windowSeries) observe(res *vegeta.Result, k kind, corrected, service int64) {
	s.total.add(res, k)
	_ = s.latency.RecordValue(corrected)
	_ = s.service.RecordValue(service)
}

// tick closes the second ending at end (since origin) and evaluates the
// rules whose grace has passed; measured is how much of the run after the
// warm-up has passed, level the scheduled mean level over [from, to). It
// returns the failed gate that ends the run, if any.
func (w *abortWatch) tick(end, measured time.Duration, level func(from, to time.Duration) float64) *record.Abort {
	if measured <= 0 {
		return nil // still warming up: nothing was recorded
	}
	w.filled = min(w.filled+1, len(w.slots))
	w.measuredEnd = end
	var hit *record.Abort
	for _, r := range w.rules {
		if measured < r.grace {
			continue
		}
		span := min(r.window, measured, time.Duration(w.filled)*time.Second)
		g := w.judge(r.gate, w.snapshot(span, level))
		switch g.Verdict {
		case record.VerdictFail:
			hit = &record.Abort{Gate: g, AtS: end.Seconds(), WindowS: span.Seconds(), GraceS: r.grace.Seconds()}
		case record.VerdictUnknown:
			if r.unknown == "" {
				r.unknown = g.Message
			}
		}
		if hit != nil {
			break
		}
	}
	w.cur = (w.cur + 1) % len(w.slots)
	for i := range w.slots[w.cur] {
		s := &w.slots[w.cur][i]
		s.total = counters{}
		s.latency.Reset()
		s.service.Reset()
	}
	return hit
}

// snapshot is the run's figures over the last span, as run.json would hold
// them for a run of that length.
func (w *abortWatch) snapshot(span time.Duration, level func(from, to time.Duration) float64) *record.Run {
	n := int(math.Ceil(span.Seconds()))
	for i := range w.scratch {
		s := &w.scratch[i]
		s.total = counters{}
		s.latency.Reset()
		s.service.Reset()
		for back := range n {
			slot := w.slots[(w.cur-back+len(w.slots))%len(w.slots)]
			addCounters(&s.total, &slot[i].total)
			s.latency.Merge(slot[i].latency)
			s.service.Merge(slot[i].service)
		}
	}
	secs := span.Seconds()
	target := level(w.measuredEnd-span, w.measuredEnd)
	run := &record.Run{Schema: record.Schema, Status: record.StatusRunning, Overall: w.scratch[0].stats(secs, target), Endpoints: map[string]record.Stats{}}
	for i, name := range w.names {
		run.Endpoints[name] = w.scratch[1+i].stats(secs, 0)
	}
	return run
}

// stats summarises a window of secs seconds as run.json's Stats (without
// the split by outcome, which gates over a window do not read).
func (s *windowSeries) stats(secs, targetRate float64) record.Stats {
	st := record.Stats{
		Requests:      s.total.requests,
		Successes:     s.total.successes,
		LatencyUS:     latencySummary(s.latency),
		ServiceTimeUS: latencySummary(s.service),
		StatusCodes:   codesMap(&s.total.codes),
		Errors:        kindsMap(&s.total.kinds),
		BytesIn:       s.total.bytesIn,
		BytesOut:      s.total.bytesOut,
		Rate:          record.Rate{Target: targetRate},
	}
	if st.Requests > 0 {
		st.ErrorRate = float64(st.Requests-st.Successes) / float64(st.Requests)
	}
	if secs > 0 {
		st.Rate.Achieved = float64(st.Requests) / secs
	}
	return st
}

// warnings says which abort gates could not be evaluated during the run
// (they never ended it).
func (w *abortWatch) warnings() []string {
	if w == nil {
		return nil
	}
	var out []string
	for _, r := range w.rules {
		if r.unknown != "" {
			out = append(out, fmt.Sprintf("the abort gate %q could not be evaluated during the run, so it could not end it: %s", r.gate.Expr, r.unknown))
		}
	}
	return out
}

func addCounters(a, b *counters) {
	a.requests += b.requests
	a.successes += b.successes
	a.bytesIn += b.bytesIn
	a.bytesOut += b.bytesOut
	for i := range a.codes {
		a.codes[i] += b.codes[i]
	}
	for i := range a.kinds {
		a.kinds[i] += b.kinds[i]
	}
}
