package runner

import (
	"context"
	"time"
)

// prepareFlows builds the flow engine (not yet running) and what the
// recorder and the figures need from it.
func (a *attack) prepareFlows(attackCtx context.Context) {
	sc := a.sc
	a.client = newClient(attackCtx, sc.Target.Timeout.D(), sc.Load.MaxConnections, a.transport, sc.Target.RedirectLimit())
	e := &flowEngine{
		set:     a.flows,
		sched:   a.sched,
		closed:  a.closed,
		think:   sc.Load.ThinkTime,
		workers: sc.Load.MaxWorkers,
		events:  make(chan flowEvent),
		ctx:     attackCtx,
		clock:   a.cfg.clock,
		last:    a.sched.end + max(scheduleGrace, sc.Load.GracefulStop.D()),
		highest: a.rec.highest,
	}
	for _, limit := range a.flows.limits {
		c := *a.client
		c.CheckRedirect = checkRedirect(limit, a.transport.secret)
		e.clients = append(e.clients, &c)
	}
	a.engine = e
	a.fr = newFlowRecording(a.flows)
	a.rec.began = func() *time.Time { return &e.began }
	a.sent = e.dispatched.Load
	a.maxWorkers = uint64(sc.Load.MaxWorkers)
}

// loopFlows runs the flow engine and records every event, closing an
// interval every second, as loop does for the vegeta attack. It returns the
// attack's length and whether ctx aborted it.
func (a *attack) loopFlows(ctx context.Context, stopAttack func(), origin time.Time) (time.Duration, bool) {
	rec, e := a.rec, a.engine
	defer a.client.CloseIdleConnections()
	e.began = e.clock.now()
	go e.run()

	prog := a.newProgress()
	interval := a.cfg.interval
	tick, stopTick := a.cfg.clock.ticker(interval)
	defer stopTick()
	aborted, done, next := false, ctx.Done(), interval
	for {
		select {
		case ev, ok := <-e.events:
			if !ok {
				end := a.cfg.clock.since(origin)
				if end > next-interval {
					rec.flush(end, a.level(next-interval, end), 0)
				}
				prog.done()
				if why := e.stopped.Load(); why != nil {
					rec.stopped = *why
					a.stopAt.CompareAndSwap(0, e.stoppedAt.Load())
				}
				a.maxInFlight = e.maxActive.Load()
				return end, aborted
			}
			a.fr.record(rec, &ev)
		case <-tick:
			inFlight := e.sent.Load() - rec.completed
			a.maxInFlight = max(a.maxInFlight, e.maxActive.Load())
			if a.closeInterval(next, inFlight, aborted, prog) {
				// As in loop: a failed abort gate ends the run like an
				// interrupt.
				a.markStop()
				aborted, done = true, nil
				stopAttack()
			}
			next += interval
		case <-done:
			a.markStop()
			aborted, done = true, nil
			rec.aborting = true
			stopAttack()
		}
	}
}
