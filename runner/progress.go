package runner

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/loadgate/loadgate/redact"
)

// progress prints how the run goes: on a terminal one line rewritten every
// second, elsewhere (CI logs) a plain line every few seconds.
type progress struct {
	w     io.Writer
	tty   bool
	every time.Duration
	last  time.Duration
	total time.Duration
	unit  string // "/s" for rates, " users" for the closed model
}

// status is one progress report.
type status struct {
	elapsed          time.Duration
	target, achieved float64
	p95us            float64
	requests, errors int64
	inFlight         int64
}

// isTerminal reports whether w, or the writer under an escaping w
// (redact.TerminalWriter), is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := redact.Unescaped(w).(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progress) update(s status) {
	if p == nil || p.w == nil {
		return
	}
	final := s.elapsed >= p.total && p.last < p.total // the schedule's end, once
	if !p.tty && s.elapsed-p.last < p.every && !final {
		return
	}
	if !p.tty && s.elapsed > p.total && !final {
		return // draining the last responses
	}
	p.last = s.elapsed
	left := p.total - s.elapsed
	if left < 0 {
		left = 0
	}
	errPct := 0.0
	if s.requests > 0 {
		errPct = 100 * float64(s.errors) / float64(s.requests)
	}
	line := fmt.Sprintf("%s / %s  target %.1f%s  achieved %.1f/s  p95 %s  errors %d (%.2f%%)  in flight %d  %s left",
		round(s.elapsed), round(p.total), s.target, p.unit, s.achieved, formatUS(s.p95us), s.errors, errPct, s.inFlight, round(left))
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// done ends the live line on a terminal.
func (p *progress) done() {
	if p != nil && p.w != nil && p.tty {
		fmt.Fprintln(p.w)
	}
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }

func formatUS(us float64) string {
	if us == 0 {
		return "-"
	}
	return time.Duration(us * float64(time.Microsecond)).Round(10 * time.Microsecond).String()
}

// lockedWriter serialises the writes of several goroutines to one writer
// (the progress lines and the faults' lines of one run).
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
