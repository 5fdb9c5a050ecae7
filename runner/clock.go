package runner

import "time"

// clock is the runner's time source, as client_golang's histograms take a
// now function: the wall clock by default, one a test drives otherwise
// (withClock). Every time the runner itself reads or waits for is the
// clock's: when the run started and ended, when the pacers and the flow
// engine began and how long ago, the wait for the common start
// (--start-at), the interval ticker that closes the recorder's intervals,
// the scraper's ticks and warm-up, the fault drills' schedule, the flow
// engine's and the closed model's waits, the preflight's retries and the
// merge's wait for shards. What vegeta measures (a request's send time and
// latency, its own pacing) is vegeta's wall clock; the flow engine, which
// sends flows instead of vegeta, times its steps on this clock.
type clock struct {
	now func() time.Time
	// ticker delivers a tick every d until stop is called.
	ticker func(d time.Duration) (c <-chan time.Time, stop func())
	// after delivers one tick once d has passed, unless stop is called
	// first.
	after func(d time.Duration) (c <-chan time.Time, stop func())
	// timer makes a one-shot timer that fires once d has passed and can be
	// set again: for a loop that waits over and over (a pacer, a flow
	// worker) one timer serves every wait, so the waits allocate nothing.
	timer func(d time.Duration) timer
}

// timer is what the runner uses of a time.Timer (with Go 1.23's
// semantics: after Stop or Reset no stale tick is received).
type timer interface {
	C() <-chan time.Time
	Reset(d time.Duration) bool
	Stop() bool
}

func wallClock() clock {
	return clock{now: time.Now, ticker: func(d time.Duration) (<-chan time.Time, func()) {
		t := time.NewTicker(d)
		return t.C, t.Stop
	}, after: func(d time.Duration) (<-chan time.Time, func()) {
		t := time.NewTimer(d)
		return t.C, func() { t.Stop() }
	}, timer: func(d time.Duration) timer { return wallTimer{time.NewTimer(d)} }}
}

// wallTimer is a time.Timer as a timer; holding one pointer, it is stored
// in the interface without an allocation.
type wallTimer struct{ t *time.Timer }

func (w wallTimer) C() <-chan time.Time        { return w.t.C }
func (w wallTimer) Reset(d time.Duration) bool { return w.t.Reset(d) }
func (w wallTimer) Stop() bool                 { return w.t.Stop() }

// since is how long ago t was, on the clock.
func (c clock) since(t time.Time) time.Duration { return c.now().Sub(t) }

// until is how long until t, on the clock.
func (c clock) until(t time.Time) time.Duration { return t.Sub(c.now()) }

// withClock replaces the wall clock (tests).
func withClock(c clock) Option { return func(cfg *config) { cfg.clock = c } }
