package runner

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/scenarios"
)

// scheduleGrace is how long after the end of its schedule an attack may
// still send requests that were due before the end.
const scheduleGrace = time.Second

// setGC sets the garbage collector's target to percent (WithGCPercent) for
// the attack and returns the function that restores the previous one; it
// does nothing when percent is 0.
func setGC(percent int) (restore func()) {
	if percent == 0 {
		return func() {}
	}
	old := debug.SetGCPercent(percent)
	return func() { debug.SetGCPercent(old) }
}

// attack is one run's attack and recording.
type attack struct {
	sc      *scenarios.Scenario
	cfg     config
	tr      *targeter
	headers http.Header

	// flows, when the scenario has any, runs the whole mix instead of
	// vegeta (requests as flows of one step); fr records what they add.
	flows  *flowSet
	fr     *flowRecording
	engine *flowEngine
	client *http.Client // the flow engine's
	// transport is the target's TLS and protocol settings.
	transport transportOptions
	// streamHlog gets stream.hlog when the scenario streams.
	streamHlog io.Writer

	sched  *schedule // requests (open model) or users (closed) over time
	closed bool
	warmup time.Duration
	rec    *recorder
	live   *live         // nil without WithMetrics
	series *targetSeries // what the run measures of the target's metrics
	// abortGates watches the abort gates (nil: none); aborted is the one
	// that ended the run.
	abortGates *abortWatch
	aborted    *record.Abort

	pacer vegeta.Pacer
	// sent is how many requests have left so far: started counts them as
	// vegeta's workers build them (the flow engine counts its own).
	sent    func() uint64
	started atomic.Uint64
	// stopAt is when the attack was asked to stop sending (an interrupt,
	// an abort gate, its data running out), on the schedule's clock
	// (since the pacer or the flow engine began), in nanoseconds; 0 until
	// then. The requests due after it were never part of what ran.
	stopAt      atomic.Int64
	maxWorkers  uint64
	maxInFlight int64

	// checkpoint, when set, writes a snapshot of the run under way; the
	// attack takes one at its start and every cfg.checkpointEvery.
	checkpoint     func(*outcome) error
	cp             *checkpointer
	nextCheckpoint time.Duration

	drills *drills // the scenario's faults, when it has any
}

// outcome is what the attack produced.
type outcome struct {
	status    string
	ended     time.Time
	overall   record.Stats
	endpoints map[string]record.Stats
	flows     map[string]record.FlowStats
	server    record.Server
	points    []record.Point
	scrapes   []record.Scrape
	warnings  []string
	// expected is what the scenario's drills caused as planned (record.Run.Expected).
	expected []string
	// abort is the abort gate that ended the run, if one did; stopped says
	// why it ended early on its own, if it did.
	abort     *record.Abort
	stopped   *record.Stopped
	generator *record.Generator
	// serviceLog is the content of service_time.hlog.
	serviceLog []byte
	// faults are the fault drills as they happened so far.
	faults []record.Fault
}

func stageLevels(sc *scenarios.Scenario) []stageLevel {
	var out []stageLevel
	for _, st := range sc.Load.Stages {
		lv := sc.Load.Level(st)
		out = append(out, stageLevel{dur: st.Duration.D(), from: lv.From, to: lv.To})
	}
	return out
}

// run attacks, records into hlog and summarises. Its order: pacer and
// recorder, baseline scrape, attack until the schedule ends or ctx is
// cancelled, last interval, last scrape, summary.
func (a *attack) run(ctx context.Context, origin time.Time, hlog *os.File) (*outcome, error) {
	sc := a.sc
	a.sched = newSchedule(stageLevels(sc))
	a.closed = sc.Load.Model == scenarios.ModelClosed
	a.warmup = sc.Load.Warmup.D()
	names := make([]string, len(sc.Requests))
	expects := make([][]int, len(sc.Requests))
	for i, r := range sc.Requests {
		names[i], expects[i] = r.Name, r.Expect
	}
	if a.flows != nil {
		names, expects = a.flows.names, a.flows.expects
	}
	rec, err := newRecorder(recorderConfig{
		names: names, expects: expects, warmup: a.warmup, origin: origin, hlog: hlog,
		highest:    sc.Target.Timeout.D() + a.sched.end + time.Minute,
		streamHlog: a.streamHlog, slo: sc.SLO,
	})
	if err != nil {
		return nil, err
	}
	a.rec = rec
	rec.live = a.live
	a.abortGates = newAbortWatch(sc, names, a.cfg.judge, rec.highest)
	rec.abort = a.abortGates

	// The attack's context is not a child of ctx: an interrupt reaches the
	// requests only through the loop, which first marks the recorder as
	// aborting, so a request it cuts is never taken for a failure.
	attackCtx, stopAttack := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAttack()
	if a.flows == nil {
		a.choosePacer(attackCtx.Done())
	} else {
		a.prepareFlows(attackCtx)
	}
	defer setGC(a.cfg.gcPercent)()

	var scr *scraper
	scrapeDone := make(chan struct{})
	if sc.Metrics.URL != "" {
		scr = newScraper(sc.Metrics.URL, a.headers, min(sc.Metrics.Interval.D(), 5*time.Second))
		// The metrics of an HTTPS target are trusted as its API is.
		scr.client.Transport = newPlainClient(0, a.transport, scenarios.DefaultRedirects).Transport
		scr.client.CheckRedirect = checkRedirect(scenarios.DefaultRedirects, a.transport.secret)
		scr.sels = a.series.sels
		scr.scrape(ctx, 0) // the baseline before any load
		go func() {
			defer close(scrapeDone)
			scr.run(attackCtx, a.cfg.clock, origin, sc.Metrics.Interval.D(), a.warmup)
		}()
	} else {
		close(scrapeDone)
	}
	if a.checkpoint != nil {
		a.cp = startCheckpointer(func(out *outcome) { a.serverFigures(scr, out) }, a.checkpoint)
		defer a.cp.stop()
		a.cp.offer(a.snapshot(0))
		a.nextCheckpoint = a.cfg.checkpointEvery
	}

	if len(sc.Faults) > 0 {
		a.drills = startDrills(a.cfg.clock, origin, sc.Faults, a.cfg.faults, a.cfg.log)
		// Whatever ends the attack (its end, an interrupt, a failure), every
		// fault still on is undone before the run is written.
		defer a.drills.stop()
	}
	var end time.Duration
	var aborted bool
	if a.flows != nil {
		end, aborted = a.loopFlows(ctx, stopAttack, origin)
	} else {
		end, aborted = a.loop(ctx, attackCtx, stopAttack, origin)
	}
	ended := a.cfg.clock.now()
	stopAttack()
	if a.drills != nil {
		a.drills.stop()
	}
	var cpErr error
	if a.cp != nil {
		cpErr = a.cp.stop() // no checkpoint may land after the final files
	}
	<-scrapeDone
	if scr != nil {
		scr.scrape(context.WithoutCancel(ctx), end)
	}
	out, err := a.summarize(end, ended, aborted, scr)
	if err == nil && cpErr != nil {
		out.warnings = append(out.warnings, fmt.Sprintf("checkpoints of the run under way could not be written: %v", cpErr))
	}
	return out, err
}

// choosePacer sets the pacer of the model: the schedule (open) or the users
// (closed), and tells the recorder how to find intended send times.
func (a *attack) choosePacer(done <-chan struct{}) {
	if a.closed {
		peak := 0
		for _, st := range a.sc.Load.Stages {
			peak = max(peak, int(math.Max(st.Users.From, st.Users.To)))
		}
		think, _ := a.sc.Load.ThinkTime.Constant() // validated: constant without flows
		up := newUserPacer(a.sched, peak, think, done, a.cfg.clock)
		a.pacer, a.sent, a.maxWorkers = up, a.started.Load, uint64(max(peak, 1))
		a.rec.began = up.began.Load
		a.rec.finished = up.finished
		return
	}
	op := newOpenPacer(a.sched, a.cfg.clock.now)
	a.pacer, a.sent, a.maxWorkers = op, a.started.Load, uint64(a.sc.Load.MaxWorkers)
	a.rec.began = op.began.Load
	a.rec.due = a.sched.due
}

// level is the scheduled level over [from, to): the mean rate of requests
// (open; with flows, the draws times their mean number of steps) or the
// users at its start (closed).
func (a *attack) level(from, to time.Duration) float64 {
	if a.closed {
		return a.sched.rate(from)
	}
	rate := (a.sched.hits(to) - a.sched.hits(from)) / (to - from).Seconds()
	if a.flows != nil {
		rate *= a.flows.perDraw
	}
	return rate
}

// loop runs the vegeta attack and records every result, closing an
// interval every second. It returns the attack's length and whether ctx
// aborted it.
func (a *attack) loop(ctx, attackCtx context.Context, stopAttack func(), origin time.Time) (time.Duration, bool) {
	sc, rec := a.sc, a.rec
	client := newClient(attackCtx, sc.Target.Timeout.D(), sc.Load.MaxConnections, a.transport, sc.Target.RedirectLimit())
	client.Transport = countBodies{client.Transport}
	defer client.CloseIdleConnections()
	attacker := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.MaxWorkers(a.maxWorkers),
		vegeta.Workers(min(a.maxWorkers, vegeta.DefaultWorkers)),
		vegeta.MaxBody(0),
	)
	prog := a.newProgress()
	// The pacer stops after the last request of the schedule; the grace lets
	// a generator that lags at the very end still send what was due (late,
	// and measured from when it was due) instead of dropping it.
	// No attack name: vegeta would send it as a header with every request.
	resultsCh := attacker.Attack(a.target, a.pacer, a.sched.end+scheduleGrace, "")
	interval := a.cfg.interval
	tick, stopTick := a.cfg.clock.ticker(interval)
	defer stopTick()
	aborted, done, next := false, ctx.Done(), interval
	for {
		select {
		case res, ok := <-resultsCh:
			if !ok {
				end := a.cfg.clock.since(origin)
				if end > next-interval {
					rec.flush(end, a.level(next-interval, end), 0)
				}
				prog.done()
				return end, aborted
			}
			rec.record(res)
		case <-tick:
			inFlight := int64(a.sent()) - rec.completed
			a.maxInFlight = max(a.maxInFlight, inFlight)
			if a.closeInterval(next, inFlight, aborted, prog) {
				// A gate that failed over its window ends the run as an
				// interrupt does: stop sending, keep what was recorded.
				a.markStop()
				aborted, done = true, nil
				attacker.Stop()
				stopAttack()
			}
			next += interval
		case <-done:
			a.markStop()
			aborted, done = true, nil
			rec.aborting = true
			attacker.Stop()
			stopAttack()
		}
	}
}

// markStop notes that the attack is asked to stop sending now (stopAt);
// the first mark stands. Any goroutine may call it.
func (a *attack) markStop() {
	at := time.Duration(1) // before the first request: nothing was due
	if b := a.rec.began(); b != nil {
		at = max(a.cfg.clock.since(*b), 1)
	}
	a.stopAt.CompareAndSwap(0, int64(at))
}

// planEnd is where the plan the generator is held to ends, on the
// schedule's clock: the schedule's end, or before it runEnd (a checkpoint
// of a run under way) or when the attack was asked to stop.
func (a *attack) planEnd(runEnd time.Duration) time.Duration {
	end := min(runEnd, a.sched.end)
	if at := time.Duration(a.stopAt.Load()); at > 0 {
		end = min(end, at)
	}
	return end
}

// target builds the next request for one of vegeta's workers, which sends
// it at once, and counts it as sent.
//
// Subtleness ahead! The pacer cannot count what was sent: vegeta hands a
// tick to a worker after Pace returns, and when the attack's duration is up
// its loop ends before the next Pace, so a count kept in Pace misses the
// last request of a generator that runs late (a run then completed one
// request more than it sent). Every request calls the targeter once, as
// its worker starts it.
func (a *attack) target(t *vegeta.Target) error {
	if err := a.tr.target(t); err != nil {
		// Nothing is sent: vegeta stops the attack. The plan ends where
		// this request was due (open model): it never had the data to
		// be sent.
		if a.closed {
			a.markStop()
		} else {
			a.stopAt.CompareAndSwap(0, int64(max(a.sched.due(a.started.Load()), 1)))
		}
		return err
	}
	a.started.Add(1)
	return nil
}

// closeInterval ends the interval that closes at next, as both loops do on
// their ticker: the recorder's point, the live metrics, the abort gates, the
// progress line, and a checkpoint when one is due. It reports whether an
// abort gate failed (the recorder is then aborting): the caller stops
// sending.
func (a *attack) closeInterval(next time.Duration, inFlight int64, aborted bool, prog *progress) (abort bool) {
	rec := a.rec
	level := a.level(next-a.cfg.interval, next)
	rec.flush(next, level, inFlight)
	if a.live != nil {
		a.live.inFlight.Set(float64(inFlight))
		a.live.targetRate.Set(level)
	}
	if a.abortGates != nil && a.aborted == nil && !aborted {
		if hit := a.abortGates.tick(next, next-a.warmup, a.level); hit != nil {
			a.aborted = hit
			rec.aborting = true
			abort = true
		}
	}
	p := rec.points[len(rec.points)-1]
	total := rec.overall.total
	prog.update(status{elapsed: next, target: p.TargetRate, achieved: p.AchievedRate, p95us: rec.lastP95,
		requests: total.requests, errors: total.requests - total.successes, inFlight: inFlight})
	// A checkpoint due while the last one is still being written waits for
	// the next tick.
	if a.cp != nil && next >= a.nextCheckpoint && a.cp.idle() {
		a.cp.offer(a.snapshot(next))
		a.nextCheckpoint = next + a.cfg.checkpointEvery
	}
	return abort
}

func (a *attack) newProgress() *progress {
	p := &progress{w: a.cfg.console, every: a.cfg.progressEvery, total: a.sched.end, unit: "/s"}
	if a.closed {
		p.unit = " users"
	}
	if a.cfg.progressTTY != nil {
		p.tty = *a.cfg.progressTTY
	} else {
		p.tty = isTerminal(a.cfg.progress)
	}
	return p
}

// summarize turns the recording into run.json's figures and warnings.
func (a *attack) summarize(end time.Duration, ended time.Time, aborted bool, scr *scraper) (*outcome, error) {
	rec, sched := a.rec, a.sched
	out := &outcome{status: record.StatusCompleted, ended: ended, points: rec.points}
	switch {
	case a.aborted != nil:
		out.status, out.abort = record.StatusAborted, a.aborted
		g := a.aborted.Gate
		out.warnings = append(out.warnings, fmt.Sprintf("the abort gate %q failed over the %gs before %s (%s): the run was ended there, %s before its plan's end; figures cover what was recorded",
			g.Expr, a.aborted.WindowS, time.Duration(a.aborted.AtS*float64(time.Second)).Round(time.Second), g.Message, (sched.end-end).Round(time.Second)))
	case aborted:
		out.status = record.StatusAborted
		out.warnings = append(out.warnings, fmt.Sprintf("the run was aborted after %s of %s: figures cover what was recorded", end.Round(time.Millisecond), sched.end))
	}
	out.warnings = append(out.warnings, a.abortGates.warnings()...)
	if rec.stopped != "" {
		out.warnings = append(out.warnings, fmt.Sprintf("the attack stopped early after %s: %s", end.Round(time.Millisecond), rec.stopped))
		if out.status == record.StatusCompleted {
			out.stopped = &record.Stopped{AtS: end.Seconds(), PlanS: sched.end.Seconds(), Reason: rec.stopped}
		}
	}
	a.figures(end, out)
	out.faults = a.drills.snapshot() // before serverFigures, which reads the drills' windows
	a.serverFigures(scr, out)
	if a.live != nil {
		a.live.unsent.Add(float64(out.overall.Unsent))
		a.live.inFlight.Set(0)
	}
	if rec.logErr != nil {
		return nil, rec.logErr
	}
	var err error
	if out.serviceLog, err = rec.serviceLog(min(a.warmup, end), end); err != nil {
		return nil, err
	}
	return out, nil
}

// figures fills the recorder's figures of the attack up to end (time since
// origin): per endpoint and overall, unsent requests, saturation warnings.
// It reads the recorder, so it runs on the recording goroutine.
func (a *attack) figures(end time.Duration, out *outcome) {
	sc, rec, sched := a.sc, a.rec, a.sched
	// Rates are per second of the scheduled, measured window: the requests
	// still in flight when the schedule ends were sent inside it, so the
	// drain after it would understate both rates (most in short runs).
	runEnd := min(end, sched.end)
	measured := max((runEnd - a.warmup).Seconds(), 0)
	targetRate := 0.0
	if !a.closed && measured > 0 {
		targetRate = (sched.hits(runEnd) - sched.hits(min(a.warmup, runEnd))) / measured
	}
	if a.flows != nil {
		out.endpoints, out.flows = a.fr.stats(rec, measured, targetRate)
		targetRate *= a.flows.perDraw
	} else {
		totalWeight := 0.0
		for _, r := range sc.Requests {
			totalWeight += r.Weight
		}
		out.endpoints = map[string]record.Stats{}
		for i, ep := range rec.endpoints {
			out.endpoints[ep.name] = ep.stats(measured, targetRate*sc.Requests[i].Weight/totalWeight)
		}
	}
	out.overall = rec.overall.stats(measured, targetRate)
	if a.fr != nil {
		out.overall.ChecksPassed, out.overall.ChecksFailed = a.fr.checks[0], a.fr.checks[1]
	}

	if !a.closed {
		// Requests due in the measured window that were never sent. The
		// window's edges are counted as the recorder tells warm-up from
		// measured: by each request's due time, on the schedule's clock,
		// up to where the plan ended (planEnd: a stopped attack planned
		// nothing after its stop).
		planEnd := a.planEnd(runEnd)
		due := sched.dueBefore(planEnd)
		first := sched.dueBefore(min(a.warmup, planEnd))
		unsent := due - max(int64(a.sent()), first)
		if unsent > 0 {
			o := &out.overall
			o.Unsent = unsent
			o.Requests += unsent
			o.Errors[kindUnsent.name()] += unsent
			o.ErrorRate = float64(o.Requests-o.Successes) / float64(o.Requests)
		}
		g := &record.Generator{
			Planned:   due - first,
			Sent:      max(min(int64(a.sent()), due)-first, 0),
			Completed: rec.overall.total.requests,
			Late:      rec.late,
			SendLag:   latencySummary(rec.lag),
		}
		if a.flows != nil {
			// The plan's arrivals are draws from the mix: an iteration of a
			// flow, or one request.
			g.Completed = 0
			for _, f := range a.fr.set.flows {
				if f.request {
					g.Completed += out.endpoints[f.steps[0].name].Requests
				} else {
					g.Completed += out.flows[f.name].Iteration.Requests
				}
			}
		} else if measured > 0 {
			out.overall.Rate.Sent = float64(g.Sent) / measured
		}
		out.generator = g
		out.warnings = append(out.warnings, saturationWarnings(sc, g, out.overall, a.maxInFlight)...)
	}
}

// serverFigures fills the server summary (scraped, when scr is set, and
// the Server-Timing split) and the server maps of out.points.
func (a *attack) serverFigures(scr *scraper, out *outcome) {
	if scr != nil {
		scrapes, failed, lastErr := scr.snapshot()
		var w, expected []string
		down := downWindows(out.faults, a.sc.Metrics.Interval.D())
		out.server, w, expected = summarizeServer(redact.URL(a.sc.Metrics.URL), a.series, scrapes, failed, lastErr, a.warmup, out.points, down)
		out.warnings = append(out.warnings, w...)
		out.expected = append(out.expected, expected...)
		out.scrapes = scrapes
	} else if !a.series.empty() {
		out.server.SeriesNotes = map[string]string{}
		for _, s := range a.series.named {
			out.server.SeriesNotes[s.Name] = "the scenario has no metrics.url: the target's series were not scraped"
		}
		for _, q := range a.series.queries {
			out.server.SeriesNotes[q.Key()] = "the scenario has no metrics.url: the target's series were not scraped"
		}
	}
	out.server.ServerTiming = record.ServerTimingSummary(out.points)
}

// saturationWarnings says when the generator's lateness distorts the
// result (record.Generator.Distortion): then the run measured the generator (or
// its worker cap), not only the target, and the report's verdict is
// inconclusive. A little lateness that distorts nothing is no warning.
func saturationWarnings(sc *scenarios.Scenario, g *record.Generator, overall record.Stats, maxInFlight int64) []string {
	why := g.Distortion(record.MeasuredP50(overall))
	if why == "" {
		return nil
	}
	msg := "the generator could not keep the plan: " + why
	msg += fmt.Sprintf("; %d requests left more than %s late", g.Late, lateThreshold)
	if maxInFlight >= int64(sc.Load.MaxWorkers) {
		msg += fmt.Sprintf(" (in-flight requests reached the max_workers cap of %d: the target is too slow for this rate, or raise the cap)", sc.Load.MaxWorkers)
	} else {
		msg += " (the generator itself could not keep up: the run measured the generator, not only the target)"
	}
	return []string{msg}
}
