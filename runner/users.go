package runner

import (
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// userPacer runs the closed model inside a vegeta attack: it hands out a
// request only when a user is free. The number of users follows the stages
// (ramps included); a user is busy from its request until its think time
// after the response has passed. Pace blocks while every user is busy.
type userPacer struct {
	clock  clock     // the runner's: when the attack began, the waits
	levels *schedule // users over time: the schedule's rate is the user count
	think  time.Duration
	done   <-chan struct{}
	// peak is the most users any stage asks for. vegeta's worker cap is
	// set to it, so at the peak without think time the workers themselves
	// bound the requests in flight and Pace need not wait for a free user.
	peak int

	began atomic.Pointer[time.Time]

	// busy counts users with a request in flight or thinking. Only Pace
	// (vegeta calls it from one goroutine) adds to it, and releases only
	// take from it, so a check followed by an add cannot overshoot.
	busy atomic.Int64
	// freed is signalled (without blocking) whenever a user becomes free.
	freed chan struct{}
	// thinking holds, in order, the times at which thinking users become
	// free; with one think time for all, the order of entry is the order of
	// release, so a FIFO suffices and releasing allocates nothing.
	thinking chan time.Time
	// timer is Pace's poll timer, made on its first wait and reused.
	timer timer
}

var _ vegeta.Pacer = (*userPacer)(nil)

// userPollInterval bounds how long Pace sleeps before it looks at the user
// ramp again.
const userPollInterval = 10 * time.Millisecond

// newUserPacer paces up to maxUsers users over levels; clk tells when the
// attack began and how long ago, and times the polls and the think times.
func newUserPacer(levels *schedule, maxUsers int, think time.Duration, done <-chan struct{}, clk clock) *userPacer {
	p := &userPacer{
		clock:    clk,
		levels:   levels,
		think:    think,
		done:     done,
		peak:     maxUsers,
		freed:    make(chan struct{}, 1),
		thinking: make(chan time.Time, maxUsers+1),
	}
	if think > 0 {
		go p.releaseThinkers()
	}
	return p
}

// users is the number of users the stages ask for at elapsed.
func (p *userPacer) users(elapsed time.Duration) int {
	if elapsed >= p.levels.end {
		return 0
	}
	return int(p.levels.rate(elapsed) + 1e-9)
}

// Pace implements vegeta.Pacer: it returns when a user is free to send.
// This is on the path of every request: it allocates nothing and takes no
// lock.
func (p *userPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.began.Load() == nil {
		t := p.clock.now().Add(-elapsed)
		p.began.CompareAndSwap(nil, &t)
	}
	for {
		if elapsed >= p.levels.end {
			return 0, true
		}
		users := p.users(elapsed)
		// Subtleness ahead! At the peak without think time a request is
		// handed out even when every user is busy: vegeta's send blocks
		// until one of its peak workers is free, which is when a user is
		// free, one hop sooner than the recorder could say so.
		if p.busy.Load() < int64(users) || (p.think <= 0 && users >= p.peak) {
			p.busy.Add(1)
			return 0, false
		}
		if !p.wait() {
			return 0, true
		}
		elapsed = p.clock.since(*p.began.Load())
	}
}

// wait blocks until a user is freed or the poll interval passes; false when
// the attack is done.
func (p *userPacer) wait() bool {
	if p.timer == nil {
		p.timer = p.clock.timer(userPollInterval)
	} else {
		p.timer.Reset(userPollInterval)
	}
	select {
	case <-p.freed:
		p.timer.Stop()
	case <-p.timer.C():
	case <-p.done:
		p.timer.Stop()
		return false
	}
	return true
}

// Rate implements vegeta.Pacer; for the closed model it is the user count.
func (p *userPacer) Rate(elapsed time.Duration) float64 { return float64(p.users(elapsed)) }

// finished is called by the recorder for every result: the user thinks,
// then is free again.
func (p *userPacer) finished(now time.Time) {
	if p.think <= 0 {
		p.release()
		return
	}
	select {
	case p.thinking <- now.Add(p.think):
	default: // cannot happen: at most maxUsers are busy
		p.release()
	}
}

func (p *userPacer) release() {
	p.busy.Add(-1)
	select {
	case p.freed <- struct{}{}:
	default:
	}
}

func (p *userPacer) releaseThinkers() {
	timer := p.clock.timer(time.Hour)
	defer timer.Stop()
	for {
		var at time.Time
		select {
		case at = <-p.thinking:
		case <-p.done:
			return
		}
		if d := p.clock.until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C():
			case <-p.done:
				return
			}
		}
		p.release()
	}
}
