package runner

import (
	"math"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// segment is one stage of an open-model schedule, in seconds and requests
// per second; before is the number of requests due before it starts.
type segment struct {
	start, dur float64
	from, to   float64
	before     float64
}

// schedule is the open model's request schedule over the whole run: the
// cumulative number of due requests H(t) is piecewise quadratic (constant
// rates and linear ramps), and request k (0-based) is due at the time t
// where H(t) = k. It is read-only once built, so any goroutine may use it.
type schedule struct {
	segs  []segment
	total uint64        // requests in the whole run
	end   time.Duration // the schedule's length
}

// newSchedule builds a schedule from stages given as (duration, from, to).
func newSchedule(stages []stageLevel) *schedule {
	s := &schedule{}
	start, before := 0.0, 0.0
	for _, st := range stages {
		d := st.dur.Seconds()
		s.segs = append(s.segs, segment{start: start, dur: d, from: st.from, to: st.to, before: before})
		start += d
		before += d * (st.from + st.to) / 2
		s.end += st.dur
	}
	s.total = uint64(math.Ceil(before - 1e-9))
	return s
}

// stageLevel is one stage's length and its level at both ends.
type stageLevel struct {
	dur      time.Duration
	from, to float64
}

// hits is H(t): the requests due in [0, t).
func (s *schedule) hits(t time.Duration) float64 {
	x := t.Seconds()
	for i := len(s.segs) - 1; i >= 0; i-- {
		g := &s.segs[i]
		if x < g.start {
			continue
		}
		dt := math.Min(x-g.start, g.dur)
		return g.before + g.from*dt + (g.to-g.from)/(2*g.dur)*dt*dt
	}
	return 0
}

// dueBefore is the number of requests due before t: the k with due(k) < t,
// by due's own arithmetic, which is what the recorder reads to tell a
// warm-up request from a measured one. H(t) rounded up says the same but
// for a request due exactly at t, which floating point may put a hair
// either side of it: counted by one side as measured and by the other as
// warm-up, planned and completed would differ by one though every request
// came back.
func (s *schedule) dueBefore(t time.Duration) int64 {
	k := min(int64(math.Ceil(s.hits(t)-1e-9)), int64(s.total))
	k = max(k, 0)
	for k < int64(s.total) && s.due(uint64(k)) < t {
		k++
	}
	for k > 0 && s.due(uint64(k-1)) >= t {
		k--
	}
	return k
}

// rate is the scheduled rate at t, requests per second.
func (s *schedule) rate(t time.Duration) float64 {
	x := t.Seconds()
	for i := len(s.segs) - 1; i >= 0; i-- {
		g := &s.segs[i]
		if x >= g.start && x < g.start+g.dur {
			return g.from + (g.to-g.from)*(x-g.start)/g.dur
		}
	}
	return 0
}

// due is the time request k is due: the t with H(t) = k.
func (s *schedule) due(k uint64) time.Duration {
	kf := float64(k)
	// Few stages: a linear scan from the end finds the segment.
	i := len(s.segs) - 1
	for i > 0 && s.segs[i].before > kf {
		i--
	}
	for ; i < len(s.segs); i++ {
		g := &s.segs[i]
		in := kf - g.before
		total := g.dur * (g.from + g.to) / 2
		if total <= 0 || in >= total {
			if i == len(s.segs)-1 {
				return s.end
			}
			continue
		}
		// Solve from*t + a*t^2 = in with a = (to-from)/(2 dur), in the
		// numerically stable form that also holds for a <= 0 and from = 0.
		a := (g.to - g.from) / (2 * g.dur)
		disc := g.from*g.from + 4*a*in
		if disc < 0 {
			disc = 0
		}
		t := 2 * in / (g.from + math.Sqrt(disc))
		if math.IsNaN(t) || t < 0 {
			t = 0
		}
		// Rounded, not truncated: a request due on a whole millisecond
		// (the warm-up's end) is due then, not a nanosecond before.
		return time.Duration(math.Round((g.start + math.Min(t, g.dur)) * float64(time.Second)))
	}
	return s.end
}

// openPacer paces the whole open-model run as one vegeta attack, so that
// connections live across stages. It also remembers when the attack began,
// which the recorder needs to turn a result's sequence number into its
// intended send time.
type openPacer struct {
	sched *schedule
	now   func() time.Time
	began atomic.Pointer[time.Time]
}

var _ vegeta.Pacer = (*openPacer)(nil)

// newOpenPacer paces s; now tells when the attack began (clock.now).
func newOpenPacer(s *schedule, now func() time.Time) *openPacer {
	return &openPacer{sched: s, now: now}
}

// Pace implements vegeta.Pacer: the wait until request number hits is due.
func (p *openPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	p.markBegan(elapsed)
	if hits >= p.sched.total {
		return 0, true
	}
	wait := p.sched.due(hits) - elapsed
	if wait < 0 {
		wait = 0
	}
	return wait, false
}

// Rate implements vegeta.Pacer.
func (p *openPacer) Rate(elapsed time.Duration) float64 { return p.sched.rate(elapsed) }

func (p *openPacer) markBegan(elapsed time.Duration) {
	if p.began.Load() == nil {
		t := p.now().Add(-elapsed)
		p.began.CompareAndSwap(nil, &t)
	}
}
