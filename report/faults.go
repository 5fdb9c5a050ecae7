package report

import (
	"cmp"
	"fmt"
	"math"
	"sort"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// DefaultRecovery is the stated tolerance of a fault's recovery: a second
// is back when its error rate is at most 1 point above the pre-fault level
// and its P95 at most 1.5 times the pre-fault P95 or 50 ms above it
// (whichever is more: a 2 ms P95 doubles on noise alone); three such
// seconds in a row end the recovery. The pre-fault level is the last 10
// measured seconds before the fault, outside other faults and the 5
// seconds after them.
var DefaultRecovery = record.Recovery{ErrorRate: 0.01, P95Ratio: 1.5, P95SlackMS: 50, Seconds: 3, BaselineS: 10}

// afterFault is how long after a fault's end its seconds stay out of
// another fault's pre-fault level.
const afterFault = 5.0

// measureFaults fills in the figures of every fault of the run that
// happened: requests, errors and latency during it, recovery after it.
func measureFaults(d *runData) {
	for i := range d.Run.Faults {
		f := &d.Run.Faults[i]
		f.Measured = nil
		if f.StartS == nil || f.EndS == nil {
			continue
		}
		f.Measured = faultFigures(d, *f.StartS, *f.EndS, DefaultRecovery)
	}
}

// second is one measured second of the run: its requests and errors (the
// timeline) and its latency (the interval log).
type second struct {
	T                float64
	Requests, Errors int64
	P95              float64 // µs; 0 with no latency recorded
	h                *hdr.PackedHistogram
}

// seconds lists the measured seconds, in order.
func (d *runData) seconds() []second {
	var out []second
	if d.Timeline == nil {
		return nil
	}
	// The log's interval times are written in milliseconds of the clock
	// and may stray a few from the timeline's whole seconds.
	lat := map[float64]int{}
	all := d.Series[""]
	if all != nil {
		for i, iv := range all.Intervals {
			lat[math.Round(iv.T)] = i
		}
	}
	for _, p := range d.Timeline.Points {
		if p.Warmup {
			continue
		}
		s := second{T: p.T, Requests: p.Requests, Errors: p.Errors}
		if i, ok := lat[math.Round(p.T)]; ok {
			s.P95 = all.Intervals[i].P95
			if i < len(all.hists) {
				s.h = all.hists[i]
			}
		}
		out = append(out, s)
	}
	return out
}

// faultFigures measures one fault window [start, end) (seconds since the
// attack started).
func faultFigures(d *runData, start, end float64, tol record.Recovery) *record.FaultFigures {
	ff := &record.FaultFigures{Tolerance: tol}
	secs := d.seconds()
	if len(secs) == 0 {
		ff.Note = "no measured seconds (timeline.json and latency.hlog)"
		return ff
	}
	var during []second
	for _, s := range secs {
		if s.T < end && s.T+1 > start {
			during = append(during, s)
		}
	}
	ff.Requests, ff.Errors = sums(during)
	if ff.Requests > 0 {
		ff.ErrorRate = float64(ff.Errors) / float64(ff.Requests)
	}
	if h := merged(during); h != nil && h.TotalCount() > 0 {
		l := latencyOf(h)
		ff.LatencyUS = &l
	}

	// The pre-fault level: the last BaselineS seconds before the fault that
	// no fault touched.
	var before []second
	for i := len(secs) - 1; i >= 0 && len(before) < tol.BaselineS; i-- {
		s := secs[i]
		if s.T+1 > start || s.Requests == 0 || d.nearFault(s.T) {
			continue
		}
		before = append(before, s)
	}
	if len(before) == 0 {
		ff.Note = "no measured second before the fault to recover to (it is in or right after the warm-up or another fault)"
		return ff
	}
	req, errs := sums(before)
	ff.BeforeErrorRate = float64(errs) / float64(req)
	if h := merged(before); h != nil && h.TotalCount() > 0 {
		ff.BeforeP95US = float64(h.ValueAtQuantile(95))
	} else {
		p95s := make([]float64, 0, len(before))
		for _, s := range before {
			p95s = append(p95s, s.P95)
		}
		ff.BeforeP95US = median(p95s)
	}
	p95Max := math.Max(ff.BeforeP95US*tol.P95Ratio, ff.BeforeP95US+tol.P95SlackMS*1000)
	errMax := ff.BeforeErrorRate + tol.ErrorRate
	back := func(s second) bool {
		return s.Requests > 0 && float64(s.Errors)/float64(s.Requests) <= errMax && s.P95 > 0 && s.P95 <= p95Max
	}
	after := 0 // measured seconds after the fault
	for i, s := range secs {
		if s.T+1 <= end {
			continue
		}
		after++
		ok := i+tol.Seconds <= len(secs)
		for k := i; ok && k < i+tol.Seconds; k++ {
			ok = back(secs[k])
		}
		if ok {
			r := math.Max(0, s.T-end)
			r = math.Round(r*1000) / 1000
			ff.RecoveryS, ff.Recovered = &r, true
			return ff
		}
	}
	if after < tol.Seconds {
		// Not "never recovered": the run ended before it could be seen.
		ff.Note = tooNearTheEnd("the fault", after, tol.Seconds)
	}
	return ff
}

// nearFault reports whether second t overlaps a fault or the seconds just
// after one.
func (d *runData) nearFault(t float64) bool {
	for _, f := range d.Run.Faults {
		if f.StartS == nil {
			continue
		}
		end := math.Inf(1)
		if f.EndS != nil {
			end = *f.EndS + afterFault
		}
		if t < end && t+1 > *f.StartS {
			return true
		}
	}
	return false
}

func sums(ss []second) (req, errs int64) {
	for _, s := range ss {
		req += s.Requests
		errs += s.Errors
	}
	return req, errs
}

// merged adds the seconds' latency histograms; nil when none was kept.
func merged(ss []second) *hdr.Histogram {
	var h *hdr.Histogram
	for _, s := range ss {
		if s.h == nil {
			continue
		}
		if h == nil {
			h = hdr.New(s.h.LowestTrackableValue(), s.h.HighestTrackableValue(), int(s.h.SignificantFigures()))
		}
		s.h.MergeInto(h)
	}
	return h
}

func latencyOf(h *hdr.Histogram) record.Latency {
	return record.Latency{Min: float64(h.Min()), Mean: h.Mean(), P50: float64(h.ValueAtQuantile(50)),
		P90: float64(h.ValueAtQuantile(90)), P95: float64(h.ValueAtQuantile(95)), P99: float64(h.ValueAtQuantile(99)),
		P999: float64(h.ValueAtQuantile(99.9)), Max: float64(h.Max())}
}

// faultGateInput adds the fault metrics to the gates' input: the worst
// recovery time and fault error rate, each fault's as NAME.metric, and
// writes_lost (not when the rows could not be counted or a drill failed:
// the writes check is then not done or not reliable).
//
// A fault's metrics are unknown, with the reason, when it never happened
// (not due before the run ended, or its injection failed: there is nothing
// to recover from, and its window's error rate is not that of a fault);
// its recovery also when its undo failed (the fault did not end when
// recorded) or when its figures could not be computed (no level before it,
// too few measured seconds after it). The worst of the faults is unknown
// when any fault's is, unless a known one is already unbounded (never
// recovered): no unknown can make that better.
func faultGateInput(d *runData, in *gate.Input) {
	writesGateInput(d.Run.Writes, in)
	if len(d.Run.Faults) == 0 {
		in.Why[gate.MetricFaultErrorRate] = "the run has no faults"
		return
	}
	worstRec, worstErr, names := 0.0, 0.0, []string{}
	recWhy, errWhy := "", "" // the first fault's reason its figure is unknown
	unknown := func(first *string, key, why string) {
		in.Why[key] = why
		if *first == "" {
			*first = why
		}
	}
	for _, f := range d.Run.Faults {
		names = append(names, f.Name)
		recKey, errKey := f.Name+"."+gate.MetricRecoveryTime, f.Name+"."+gate.MetricFaultErrorRate
		if why := notHappened(f); why != "" {
			unknown(&recWhy, recKey, why)
			unknown(&errWhy, errKey, why)
			continue
		}
		m := f.Measured
		switch {
		case f.UndoError != "":
			unknown(&recWhy, recKey, fmt.Sprintf("fault %s: its undo failed (%s), so it did not end when recorded: its recovery cannot be measured", f.Name, f.UndoError))
		case m == nil || m.Note != "" && !m.Recovered:
			why := "no figures"
			if m != nil {
				why = m.Note
			}
			unknown(&recWhy, recKey, fmt.Sprintf("fault %s: %s", f.Name, why))
		default:
			rec := math.Inf(1)
			if m.RecoveryS != nil {
				rec = *m.RecoveryS
			}
			in.Extra[recKey] = rec
			worstRec = math.Max(worstRec, rec)
		}
		if m != nil && m.Requests > 0 {
			in.Extra[errKey] = m.ErrorRate
			worstErr = math.Max(worstErr, m.ErrorRate)
		} else {
			unknown(&errWhy, errKey, fmt.Sprintf("fault %s: no request was measured during it", f.Name))
		}
	}
	if recWhy != "" && !math.IsInf(worstRec, 1) {
		in.Why[gate.MetricRecoveryTime] = recWhy
	} else {
		in.Extra[gate.MetricRecoveryTime] = worstRec
	}
	if errWhy != "" {
		in.Why[gate.MetricFaultErrorRate] = errWhy
	} else {
		in.Extra[gate.MetricFaultErrorRate] = worstErr
	}
	sort.Strings(names)
	in.Faults = names
}

// notHappened says why fault f never happened, or "" when it did.
func notHappened(f record.Fault) string {
	switch {
	case f.StartS == nil:
		return fmt.Sprintf("fault %s did not happen (the run ended first)", f.Name)
	case f.Error != "":
		return fmt.Sprintf("fault %s was not injected (%s)", f.Name, f.Error)
	}
	return ""
}

// writesGateInput adds writes_lost: the writes check's count, or why there
// is none.
func writesGateInput(w *record.Writes, in *gate.Input) {
	switch {
	case w == nil:
		in.Why[gate.MetricWritesLost] = "no writes check in this run (loadgate scenario runs it against the reference target, in a run with faults and no warm-up)"
	case w.Error != "" || w.Lost == nil:
		in.Why[gate.MetricWritesLost] = "writes not checked: " + cmp.Or(w.Error, "no count of lost writes")
	case len(w.FailedDrills) > 0:
		drills := "drill "
		if len(w.FailedDrills) > 1 {
			drills = "drills "
		}
		in.Why[gate.MetricWritesLost] = "writes check not reliable: " + drills + strings.Join(w.FailedDrills, ", ") + " failed (the fault table says how)"
	default:
		in.Extra[gate.MetricWritesLost] = float64(*w.Lost)
	}
}

// faultAreas shades each fault's window on a time chart.
func faultAreas(run *record.Run) charts.SeriesOpts {
	var data []any
	for _, f := range run.Faults {
		if f.StartS == nil {
			continue
		}
		end := run.Ended.Sub(run.Started).Seconds()
		if f.EndS != nil {
			end = *f.EndS
		}
		// An instant fault gets a sliver wide enough to see.
		end = math.Max(end, *f.StartS+0.5)
		data = append(data, []any{
			map[string]any{"name": f.Name, "xAxis": round3(*f.StartS)},
			map[string]any{"xAxis": round3(end)},
		})
	}
	if len(data) == 0 {
		return nil
	}
	return func(s *charts.SingleSeries) {
		s.MarkAreas = &opts.MarkAreas{Data: data, MarkAreaStyle: opts.MarkAreaStyle{
			ItemStyle: &opts.ItemStyle{Color: "rgba(220, 60, 60, 0.12)"},
			Label:     &opts.Label{Show: opts.Bool(true), Position: "insideTop", Color: "#a33"},
		}}
	}
}

// faultRow is one fault in the report's table.
type faultRow struct {
	Name, Action, Window, Requests, Errors, P95, Recovery, Before, Note string
}

func faultRows(run *record.Run) []faultRow {
	var rows []faultRow
	for _, f := range run.Faults {
		r := faultRow{Name: f.Name, Action: strings.TrimSpace(f.Action + " " + f.Service), Window: "did not happen", Requests: "—", Errors: "—", P95: "—", Recovery: "—", Before: "—"}
		if f.StartS != nil {
			r.Window = fmt.Sprintf("%.1fs", *f.StartS)
			if f.EndS != nil {
				r.Window += fmt.Sprintf(" – %.1fs", *f.EndS)
			}
		}
		var notes []string
		if f.Error != "" {
			notes = append(notes, "inject failed: "+f.Error)
		}
		if f.UndoError != "" {
			notes = append(notes, "undo failed: "+f.UndoError)
		}
		if m := f.Measured; m != nil {
			r.Requests = fmt.Sprint(m.Requests)
			r.Errors = fmt.Sprintf("%d (%s)", m.Errors, gate.Format(m.ErrorRate, "ratio"))
			if m.LatencyUS != nil {
				r.P95 = gate.Format(m.LatencyUS.P95, "us")
			}
			r.Before = fmt.Sprintf("P95 %s, errors %s", gate.Format(m.BeforeP95US, "us"), gate.Format(m.BeforeErrorRate, "ratio"))
			switch {
			case m.Recovered:
				r.Recovery = fmt.Sprintf("%.2f s", *m.RecoveryS)
			case m.Note == "":
				r.Recovery = "never recovered"
			}
			if m.Note != "" {
				notes = append(notes, m.Note)
			}
		}
		r.Note = strings.Join(notes, "; ")
		rows = append(rows, r)
	}
	return rows
}

// recoveryWords states the tolerance recovery is measured with.
func recoveryWords(t record.Recovery) string {
	return fmt.Sprintf("Recovery: from the fault's end until %d seconds in a row have an error rate at most %s above, and a P95 at most %.1f× (or %.0f ms above) the level of the last %d measured seconds before the fault.",
		t.Seconds, gate.Format(t.ErrorRate, "ratio"), t.P95Ratio, t.P95SlackMS, t.BaselineS)
}
