package runner

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock a test moves by hand: now stands still until
// advance moves it and fires every timer and ticker due by then. A ticker
// that is due several times keeps one tick in its channel, as time.Ticker
// does for a slow reader. waiting blocks until the code under test waits on
// a given number of timers, so a test moves the clock only once the code is
// waiting: no sleeps, and nothing depends on the machine's speed.
type fakeClock struct {
	mu      sync.Mutex // guards the fields below
	at      time.Time
	active  []*fakeTimer    // set, not yet fired (tickers stay) nor stopped
	asked   []time.Duration // every duration a timer or after was set for
	changed chan struct{}   // closed and replaced when active changes
}

type fakeTimer struct {
	fc     *fakeClock
	c      chan time.Time
	when   time.Time
	period time.Duration // a ticker's; 0 for a one-shot timer
}

func newFakeClock(at time.Time) *fakeClock {
	return &fakeClock{at: at, changed: make(chan struct{})}
}

func (f *fakeClock) clock() clock {
	return clock{
		now: f.now,
		ticker: func(d time.Duration) (<-chan time.Time, func()) {
			t := &fakeTimer{fc: f, c: make(chan time.Time, 1), period: d}
			f.mu.Lock()
			t.setLocked(d)
			f.mu.Unlock()
			return t.c, func() { t.Stop() }
		},
		after: func(d time.Duration) (<-chan time.Time, func()) {
			t := f.newTimer(d)
			return t.c, func() { t.Stop() }
		},
		timer: func(d time.Duration) timer { return f.newTimer(d) },
	}
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.at
}

func (f *fakeClock) newTimer(d time.Duration) *fakeTimer {
	t := &fakeTimer{fc: f, c: make(chan time.Time, 1)}
	f.mu.Lock()
	f.asked = append(f.asked, d)
	t.setLocked(d)
	f.mu.Unlock()
	return t
}

// setLocked arms t for d from now; one due already fires at once. f.mu held.
func (t *fakeTimer) setLocked(d time.Duration) {
	f := t.fc
	t.when = f.at.Add(d)
	if d <= 0 && t.period == 0 {
		t.c <- f.at
		return
	}
	f.active = append(f.active, t)
	f.notifyLocked()
}

func (f *fakeClock) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// removeLocked disarms t; false when it was not armed. f.mu held.
func (t *fakeTimer) removeLocked() bool {
	f := t.fc
	i := slices.Index(f.active, t)
	if i < 0 {
		return false
	}
	f.active = slices.Delete(f.active, i, i+1)
	f.notifyLocked()
	return true
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

// Stop disarms t and, as time.Timer does since Go 1.23, drops a tick not
// yet received.
func (t *fakeTimer) Stop() bool {
	t.fc.mu.Lock()
	defer t.fc.mu.Unlock()
	select {
	case <-t.c:
	default:
	}
	return t.removeLocked()
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.fc.mu.Lock()
	defer t.fc.mu.Unlock()
	select {
	case <-t.c:
	default:
	}
	was := t.removeLocked()
	t.fc.asked = append(t.fc.asked, d)
	t.setLocked(d)
	return was
}

// advance moves now by d and fires what is due by then, in order.
func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	to := f.at.Add(d)
	for {
		var next *fakeTimer
		for _, t := range f.active {
			if !t.when.After(to) && (next == nil || t.when.Before(next.when)) {
				next = t
			}
		}
		if next == nil {
			break
		}
		f.at = next.when
		select {
		case next.c <- next.when:
		default: // a ticker's tick not yet received: this one is dropped
		}
		if next.period > 0 {
			next.when = next.when.Add(next.period)
		} else {
			next.removeLocked()
		}
	}
	f.at = to
}

// waiting returns once exactly n timers and tickers are armed.
func (f *fakeClock) waiting(tb testing.TB, n int) {
	tb.Helper()
	f.waitFor(tb, fmt.Sprintf("%d timers armed", n), func() bool { return len(f.active) == n })
}

// armed returns once a timer or ticker is armed to fire at when.
func (f *fakeClock) armed(tb testing.TB, when time.Time) {
	tb.Helper()
	f.waitFor(tb, "a timer armed for "+when.Format(time.StampMilli), func() bool {
		return slices.ContainsFunc(f.active, func(t *fakeTimer) bool { return t.when.Equal(when) })
	})
}

// waitFor returns once cond (called with f.mu held) holds; a test that
// expects what never happens fails after 10 s of wall time instead of
// hanging.
func (f *fakeClock) waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	failsafe := time.NewTimer(10 * time.Second)
	defer failsafe.Stop()
	for {
		f.mu.Lock()
		ok, changed, n := cond(), f.changed, len(f.active)
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-failsafe.C:
			tb.Fatalf("the fake clock never had %s (%d armed)", what, n)
		}
	}
}

// takeAsked returns the durations timers were set for since the last call.
func (f *fakeClock) takeAsked() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.asked
	f.asked = nil
	return out
}

// jumpClock is a clock for code that waits on one goroutine: every wait
// returns at once, the clock having jumped to its end, so the code runs
// through its waits without time passing; asked lists the waits. Code that
// waits on this clock for what only the wall clock brings would wait for
// ever: after 1000 waits, giveUp is called (cancel the code's context).
type jumpClock struct {
	mu     sync.Mutex // guards at and asked
	at     time.Time
	asked  []time.Duration
	giveUp func()
}

func (j *jumpClock) clock() clock {
	return clock{now: func() time.Time {
		j.mu.Lock()
		defer j.mu.Unlock()
		return j.at
	}, after: func(d time.Duration) (<-chan time.Time, func()) {
		j.mu.Lock()
		defer j.mu.Unlock()
		j.asked = append(j.asked, d)
		if len(j.asked) == 1000 && j.giveUp != nil {
			j.giveUp()
		}
		j.at = j.at.Add(max(d, 0))
		c := make(chan time.Time, 1)
		c <- j.at
		return c, func() {}
	}}
}
