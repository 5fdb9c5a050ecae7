package record

import (
	"sync"
	"time"
)

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

// handClock is a clock the test moves: each wait the code starts is handed
// to the test (waits), which does what it must while the code waits, then
// ends the wait (wait.end), moving the clock to its end.
type handClock struct {
	mu    sync.Mutex // guards at
	at    time.Time
	waits chan handWait
}

// handWait is one wait of the code on a handClock.
type handWait struct {
	d   time.Duration
	hc  *handClock
	due chan time.Time
}

func newHandClock(at time.Time) *handClock {
	return &handClock{at: at, waits: make(chan handWait)}
}

func (h *handClock) clock() clock {
	return clock{now: func() time.Time {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.at
	}, after: func(d time.Duration) (<-chan time.Time, func()) {
		w := handWait{d: d, hc: h, due: make(chan time.Time, 1)}
		h.waits <- w
		return w.due, func() {}
	}}
}

// end moves the clock to the end of the wait and ends it.
func (w handWait) end() {
	w.hc.mu.Lock()
	w.hc.at = w.hc.at.Add(w.d)
	at := w.hc.at
	w.hc.mu.Unlock()
	w.due <- at
}
