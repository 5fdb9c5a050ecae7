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
	w     *console
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
		p.w.show(line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// done ends the live line on a terminal.
func (p *progress) done() {
	if p != nil && p.w != nil && p.tty {
		p.w.end()
	}
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }

func formatUS(us float64) string {
	if us == 0 {
		return "-"
	}
	return time.Duration(us * float64(time.Microsecond)).Round(10 * time.Microsecond).String()
}

// console is the stream the runner prints to: its progress lines and every
// other line (the faults', the wait for the common start), written from
// goroutines of their own, whole lines at a time; its lock keeps their
// writes apart. On a terminal the progress line is live, rewritten in place
// ("\r\033[K") and not ended: a line written while it is shown would
// continue it. So Write clears the live line first and draws it again below.
type console struct {
	mu   sync.Mutex // guards the writes to w and live
	w    io.Writer
	live string // the live line shown, without its "\r\033[K"; "" when none
}

// Write writes p, one line or more; on a terminal, in place of the live line,
// which is drawn again after p.
func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live == "" {
		return c.w.Write(p)
	}
	if _, err := io.WriteString(c.w, "\r\033[K"); err != nil {
		return 0, err
	}
	n, err := c.w.Write(p)
	if err != nil || len(p) == 0 || p[len(p)-1] != '\n' {
		c.live = "" // the cursor is not at a line's start: redrawn by the next update
		return n, err
	}
	_, err = io.WriteString(c.w, "\r\033[K"+c.live)
	return n, err
}

// show rewrites the live line in place with line.
func (c *console) show(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = line
	fmt.Fprintf(c.w, "\r\033[K%s", line)
}

// end ends the live line, when one is shown: the next line starts below it.
func (c *console) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live != "" {
		c.live = ""
		fmt.Fprintln(c.w)
	}
}
