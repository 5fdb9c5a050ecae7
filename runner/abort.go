package runner

import (
	"fmt"
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// windowSigFigs is the precision of the abort window's histograms: two
// significant digits (1 %) are plenty to decide an abort.
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
	// is the second under way. filled counts the whole seconds held. A
	// series without a result in a second has no windowSeries there (nil):
	// the window costs memory for the endpoints that had results in it,
	// not for every endpoint declared.
	slots       [][]*windowSeries // [slot][0: overall, 1+i: endpoint i]
	cur, filled int
	// spare holds the emptied windowSeries of past seconds, for the next
	// ones: once warm, the window allocates nothing.
	spare   []*windowSeries
	highest int64
	// latency and service are one series' sums over the window, reused.
	latency, service *hdr.Histogram
	measuredEnd      time.Duration // end of the last whole second, since origin
}

// windowSeries is one series' results over one second. Only what gates
// read of a window is counted (requests, successes, bytes): not the status
// codes, whose array would be most of it.
type windowSeries struct {
	requests, successes, bytesIn, bytesOut int64
	latency, service                       hist
}

// take returns an empty windowSeries: a spare one, else a new one with
// sparse histograms (an endpoint's) or dense ones (the whole run's, which
// has results every second).
func (w *abortWatch) take(dense bool) *windowSeries {
	if dense {
		return &windowSeries{latency: newDenseHist(w.highest, windowSigFigs), service: newDenseHist(w.highest, windowSigFigs)}
	}
	if n := len(w.spare); n > 0 {
		s := w.spare[n-1]
		w.spare = w.spare[:n-1]
		return s
	}
	return &windowSeries{latency: newSparseHist(w.highest, windowSigFigs, nil), service: newSparseHist(w.highest, windowSigFigs, nil)}
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
	w.names, w.highest = names, highest
	n := int(math.Ceil(longest.Seconds()))
	w.slots = make([][]*windowSeries, n)
	for i := range w.slots {
		w.slots[i] = make([]*windowSeries, len(w.names)+1)
		w.slots[i][0] = w.take(true)
	}
	w.latency, w.service = hdr.New(1, highest, windowSigFigs), hdr.New(1, highest, windowSigFigs)
	return w
}

// observe adds one measured result of endpoint ep (-1: none of the mix)
// to the second under way. This is on the hot path: no allocation once the
// window is warm (see take).
func (w *abortWatch) observe(ep int, res *result, corrected, service int64) {
	w.slots[w.cur][0].observe(res, corrected, service)
	w.observeOwn(ep, res, corrected, service)
}

// observeOwn adds one measured result to endpoint ep's series only: a
// flow's iteration, which is not a request of the whole run.
func (w *abortWatch) observeOwn(ep int, res *result, corrected, service int64) {
	if ep < 0 || ep >= len(w.names) {
		return
	}
	slot := w.slots[w.cur]
	s := slot[1+ep]
	if s == nil {
		s = w.take(false)
		slot[1+ep] = s
	}
	s.observe(res, corrected, service)
}

func (s *windowSeries) observe(res *result, corrected, service int64) {
	s.requests++
	if res.kind == kindOK {
		s.successes++
	}
	s.bytesIn += res.bytesIn
	s.bytesOut += res.bytesOut
	s.latency.record(corrected)
	s.service.record(service)
}

// reset empties s for another second.
func (s *windowSeries) reset() {
	s.requests, s.successes, s.bytesIn, s.bytesOut = 0, 0, 0, 0
	s.latency.reset()
	s.service.reset()
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
	slot := w.slots[w.cur]
	slot[0].reset()
	for i, s := range slot[1:] {
		if s != nil {
			s.reset()
			w.spare = append(w.spare, s)
			slot[1+i] = nil
		}
	}
	return hit
}

// snapshot is the run's figures over the last span, as run.json would hold
// them for a run of that length.
func (w *abortWatch) snapshot(span time.Duration, level func(from, to time.Duration) float64) *record.Run {
	n := int(math.Ceil(span.Seconds()))
	secs := span.Seconds()
	target := level(w.measuredEnd-span, w.measuredEnd)
	run := &record.Run{Schema: record.Schema, Status: record.StatusRunning, Overall: w.stats(0, n, secs, target), Endpoints: map[string]record.Stats{}}
	for i, name := range w.names {
		run.Endpoints[name] = w.stats(1+i, n, secs, 0)
	}
	return run
}

// stats summarises series i (0: the whole run) over the last n seconds, a
// window of secs seconds, as run.json's Stats (without the split by outcome
// and the status codes, which gates over a window do not read).
func (w *abortWatch) stats(i, n int, secs, targetRate float64) record.Stats {
	st := record.Stats{Rate: record.Rate{Target: targetRate}}
	window := func(yield func(*windowSeries) bool) {
		for back := range n {
			if s := w.slots[(w.cur-back+len(w.slots))%len(w.slots)][i]; s != nil && !yield(s) {
				return
			}
		}
	}
	for s := range window {
		st.Requests += s.requests
		st.Successes += s.successes
		st.BytesIn += s.bytesIn
		st.BytesOut += s.bytesOut
	}
	if st.Requests == 0 {
		return st // most endpoints of a large scenario, most seconds
	}
	w.latency.Reset()
	w.service.Reset()
	for s := range window {
		s.latency.addTo(w.latency)
		s.service.addTo(w.service)
	}
	st.LatencyUS, st.ServiceTimeUS = latencySummary(w.latency), latencySummary(w.service)
	st.ErrorRate = float64(st.Requests-st.Successes) / float64(st.Requests)
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
