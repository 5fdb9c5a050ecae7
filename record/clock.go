package record

import "time"

// clock is what Merge's wait for shards (WaitFor) reads and waits on: the
// wall clock, or one a test drives (withClock).
type clock struct {
	now func() time.Time
	// after delivers one tick once d has passed, unless stop is called
	// first.
	after func(d time.Duration) (c <-chan time.Time, stop func())
}

func wallClock() clock {
	return clock{now: time.Now, after: func(d time.Duration) (<-chan time.Time, func()) {
		t := time.NewTimer(d)
		return t.C, func() { t.Stop() }
	}}
}

// until is how long until t, on the clock.
func (c clock) until(t time.Time) time.Duration { return t.Sub(c.now()) }
