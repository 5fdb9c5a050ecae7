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
	}
	for _, limit := range a.flows.limits {
		c := *a.client
		c.CheckRedirect = checkRedirect(limit)
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
				}
				a.maxInFlight = e.maxActive.Load()
				return end, aborted
			}
			a.fr.record(rec, &ev)
		case <-tick:
			inFlight := e.sent.Load() - rec.completed
			level := a.level(next-interval, next)
			rec.flush(next, level, inFlight)
			if a.live != nil {
				a.live.inFlight.Set(float64(inFlight))
				a.live.targetRate.Set(level)
			}
			if a.abortGates != nil && a.aborted == nil && !aborted {
				if hit := a.abortGates.tick(next, next-a.warmup, a.level); hit != nil {
					// As in loop: a failed abort gate ends the run like an
					// interrupt.
					a.aborted = hit
					aborted, done = true, nil
					rec.aborting = true
					stopAttack()
				}
			}
			p := rec.points[len(rec.points)-1]
			total := rec.overall.total
			prog.update(status{elapsed: next, target: p.TargetRate, achieved: p.AchievedRate, p95us: rec.lastP95,
				requests: total.requests, errors: total.requests - total.successes, inFlight: inFlight})
			a.maxInFlight = max(a.maxInFlight, e.maxActive.Load())
			if a.cp != nil && next >= a.nextCheckpoint && a.cp.idle() {
				a.cp.offer(a.snapshot(next))
				a.nextCheckpoint = next + a.cfg.checkpointEvery
			}
			next += interval
		case <-done:
			aborted, done = true, nil
			rec.aborting = true
			stopAttack()
		}
	}
}
