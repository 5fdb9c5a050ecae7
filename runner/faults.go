package runner

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/scenarios"
)

// Injector is one fault drill as the runner schedules it: at its time,
// Inject; when its duration is up (at once for an instant fault), Undo.
// Undo must bring the service back whether Inject finished or not, and may
// be called when it already is. The drills themselves live in package
// faults; the runner knows only when.
type Injector interface {
	Inject(ctx context.Context) error
	Undo(ctx context.Context) error
}

// drillTimeout bounds one Inject or Undo: a stop that hangs must not keep
// the run from ending (and undoing the other faults).
const drillTimeout = 2 * time.Minute

// drills runs the scenario's faults against the clock of one attack: one
// goroutine per fault waits for its time, injects, waits for its
// duration, undoes. stop undoes whatever is still injected, at once.
type drills struct {
	clock  clock
	origin time.Time
	cancel context.CancelFunc
	wg     sync.WaitGroup
	log    io.Writer // progress lines; may be nil

	mu   sync.Mutex // guards recs
	recs []record.Fault
}

// startDrills schedules faults (validated: each has an injector in by) on
// clk, from origin.
func startDrills(clk clock, origin time.Time, faults []scenarios.Fault, by map[string]Injector, log io.Writer) *drills {
	ctx, cancel := context.WithCancel(context.Background())
	d := &drills{clock: clk, origin: origin, cancel: cancel, log: log}
	for _, f := range faults {
		d.recs = append(d.recs, record.Fault{FaultPlan: record.FaultPlan{Name: f.Label(), Action: f.Action,
			Service: f.Target(), AtS: f.At.D().Seconds(), ForS: f.For.D().Seconds()}})
	}
	for i, f := range faults {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.drill(ctx, i, f, by[f.Label()])
		}()
	}
	return d
}

// drill is one fault's life: wait, inject, wait, undo. A cancelled ctx
// (the run ended, failed or was interrupted) skips the waits, never the undo.
func (d *drills) drill(ctx context.Context, i int, f scenarios.Fault, inj Injector) {
	if !sleepUntil(ctx, d.clock, d.origin.Add(f.At.D())) {
		return // the run ended before the fault was due
	}
	d.note(i, func(r *record.Fault) { start := d.since(); r.StartS = &start })
	ictx, cancel := context.WithTimeout(context.Background(), drillTimeout)
	err := inj.Inject(ictx)
	cancel()
	d.note(i, func(r *record.Fault) {
		r.Injected = err == nil
		if err != nil {
			r.Error = err.Error()
		}
	})
	d.say("fault %s: %s injected%s", f.Label(), f.Action, errSuffix(err))
	if !f.Instant() {
		sleepUntil(ctx, d.clock, d.origin.Add(f.End()))
	}
	uctx, cancel := context.WithTimeout(context.Background(), drillTimeout)
	err = inj.Undo(uctx)
	cancel()
	d.note(i, func(r *record.Fault) {
		end := d.since()
		r.EndS = &end
		if err != nil {
			r.UndoError = err.Error()
		}
	})
	d.say("fault %s: undone%s", f.Label(), errSuffix(err))
}

// stop cancels the waits and returns when every injected fault is undone.
// It is safe to call twice.
func (d *drills) stop() {
	d.cancel()
	d.wg.Wait()
}

// snapshot returns the faults as recorded so far.
func (d *drills) snapshot() []record.Fault {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]record.Fault, len(d.recs))
	copy(out, d.recs)
	return out
}

func (d *drills) note(i int, f func(*record.Fault)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(&d.recs[i])
}

func (d *drills) since() float64 {
	return float64(d.clock.since(d.origin).Milliseconds()) / 1000
}

// say writes one line to the log. Its text is escaped (redact.Terminal):
// a fault's error may quote a command's output, line feeds and all, which
// must not start lines of their own.
func (d *drills) say(format string, args ...any) {
	if d.log != nil {
		fmt.Fprintf(d.log, "%7.1fs  %s\n", d.since(), redact.Terminal(fmt.Sprintf(format, args...)))
	}
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (failed: " + err.Error() + ")"
}

// sleepUntil waits until t on clk; false when ctx ended the wait first.
func sleepUntil(ctx context.Context, clk clock, t time.Time) bool {
	due, stop := clk.after(clk.until(t))
	defer stop()
	select {
	case <-due:
		return true
	case <-ctx.Done():
		return false
	}
}

// faultTimeline is the fault windows as timeline.json records them.
func faultTimeline(fs []record.Fault) []record.FaultWindow {
	var out []record.FaultWindow
	for _, f := range fs {
		if f.StartS == nil {
			continue
		}
		out = append(out, record.FaultWindow{Name: f.Name, StartS: *f.StartS, EndS: f.EndS})
	}
	return out
}
