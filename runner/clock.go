package runner

import "time"

// clock is the runner's time source for when the pacers and the flow
// engine began and how long ago (the flow engine's since), for the wait for
// the common start (--start-at) and for the interval ticker that closes the
// recorder's intervals, as client_golang's histograms take a now function:
// the wall clock by default, one a test drives otherwise (withClock).
type clock struct {
	now func() time.Time
	// ticker delivers a tick every d until stop is called.
	ticker func(d time.Duration) (c <-chan time.Time, stop func())
	// after delivers one tick once d has passed, unless stop is called
	// first.
	after func(d time.Duration) (c <-chan time.Time, stop func())
}

func wallClock() clock {
	return clock{now: time.Now, ticker: func(d time.Duration) (<-chan time.Time, func()) {
		t := time.NewTicker(d)
		return t.C, t.Stop
	}, after: func(d time.Duration) (<-chan time.Time, func()) {
		t := time.NewTimer(d)
		return t.C, func() { t.Stop() }
	}}
}

// withClock replaces the wall clock (tests).
func withClock(c clock) Option { return func(cfg *config) { cfg.clock = c } }
