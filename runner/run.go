package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadgate/loadgate/runner/results"
	"github.com/loadgate/loadgate/scenarios"
)

// Run runs the scenario against its target and writes a results directory.
// It returns the run as written to run.json and the directory.
//
// Before anything is written it checks the target's health (an unreachable
// target is an error wrapping ErrUnreachable, within the preflight timeout)
// and sends the setup requests (ErrSetup). When ctx is cancelled the attack
// stops, everything recorded so far is written with status "aborted", and
// the error is nil: the caller decides what an aborted run means.
//
// run.json's Gates are left empty; Plan.Gates holds the expressions for the
// report package to evaluate.
func Run(ctx context.Context, sc *scenarios.Scenario, opts ...Option) (*results.Run, string, error) {
	cfg := newConfig(opts)
	if err := sc.Validate(); err != nil {
		return nil, "", err
	}
	headers := http.Header{}
	for k, v := range sc.Target.Headers {
		headers.Set(k, v)
	}
	plain := &http.Client{Timeout: sc.Target.Timeout.D()}
	defer plain.CloseIdleConnections()

	var prof health
	if sc.Target.Health != "none" {
		url := strings.TrimRight(sc.Target.BaseURL, "/") + sc.Target.Health
		h, err := preflight(ctx, plain, url, headers, cfg.preflightTimeout)
		if err != nil {
			return nil, "", err
		}
		prof = h
	}
	if err := runSetup(ctx, plain, sc); err != nil {
		return nil, "", err
	}
	tr, err := newTargeter(sc, sc.Requests)
	if err != nil {
		return nil, "", fmt.Errorf("scenario %s: %w", sc.Name, err)
	}

	started := time.Now()
	shard := ""
	if sc.Shard.Count > 1 {
		shard = sc.Shard.String()
	}
	id := runID(started, sc.Name, shard)
	dir, err := makeRunDir(cfg.root, cfg.out, id)
	if err != nil {
		return nil, "", err
	}
	id = filepath.Base(dir)
	hlog, err := os.Create(filepath.Join(dir, results.HlogFile))
	if err != nil {
		return nil, "", fmt.Errorf("creating latency log: %w", err)
	}
	defer hlog.Close()

	a := &attack{sc: sc, cfg: cfg, tr: tr, headers: headers}
	out, err := a.run(ctx, started, hlog)
	if err != nil {
		return nil, dir, err
	}
	if err := hlog.Close(); err != nil {
		return nil, dir, fmt.Errorf("writing latency log: %w", err)
	}

	run := &results.Run{
		Schema:      results.Schema,
		ID:          id,
		Scenario:    sc.Name,
		Description: sc.Description,
		Status:      out.status,
		Target:      sc.Target.BaseURL,
		Profile:     prof.Profile,
		Started:     started.UTC(),
		Ended:       out.ended.UTC(),
		WarmupS:     sc.Load.Warmup.D().Seconds(),
		Commit:      cfg.commit,
		Version:     cfg.version,
		Shard:       shard,
		Plan:        sc.Plan(),
		Overall:     out.overall,
		Endpoints:   out.endpoints,
		Server:      out.server,
		Gates:       []results.Gate{},
		Warnings:    out.warnings,
	}
	if run.Commit == "" {
		run.Commit = buildCommit()
	}
	run.Host, _ = os.Hostname()
	tl := &results.Timeline{Schema: results.Schema, IntervalS: cfg.interval.Seconds(), Points: out.points}
	if err := results.WriteFile(filepath.Join(dir, results.ServiceHlogFile), out.serviceLog); err != nil {
		return nil, dir, err
	}
	if err := results.WriteJSON(filepath.Join(dir, results.TimelineFile), tl); err != nil {
		return nil, dir, err
	}
	if err := results.WriteJSON(filepath.Join(dir, results.RunFile), run); err != nil {
		return nil, dir, err
	}
	if err := linkLatest(dir); err != nil {
		return run, dir, err
	}
	return run, dir, nil
}

// buildCommit is the VCS revision the binary was built from, if recorded.
func buildCommit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	return ""
}

// runSetup sends the setup requests once, in order; any failure stops the run.
func runSetup(ctx context.Context, client *http.Client, sc *scenarios.Scenario) error {
	if len(sc.Setup) == 0 {
		return nil
	}
	tr, err := newTargeter(sc, sc.Setup)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	for i, r := range sc.Setup {
		var tgt vegeta.Target
		if err := tr.build(i, &tgt); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrSetup, r.Name, err)
		}
		req, err := tgt.Request()
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrSetup, r.Name, err)
		}
		resp, err := client.Do(req.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("%w: %s %s: %w", ErrSetup, r.Method, req.URL, err)
		}
		resp.Body.Close()
		if !newExpectation(r.Expect)[min(resp.StatusCode, maxStatus-1)] {
			return fmt.Errorf("%w: %s %s answered %s", ErrSetup, r.Method, req.URL, resp.Status)
		}
	}
	return nil
}

// attack is one run's attack and recording.
type attack struct {
	sc      *scenarios.Scenario
	cfg     config
	tr      *targeter
	headers http.Header
}

// outcome is what the attack produced.
type outcome struct {
	status    string
	ended     time.Time
	overall   results.Stats
	endpoints map[string]results.Stats
	server    results.Server
	points    []results.Point
	warnings  []string
	// serviceLog is the content of service_time.hlog.
	serviceLog []byte
}

func stageLevels(sc *scenarios.Scenario) []stageLevel {
	var out []stageLevel
	for _, st := range sc.Load.Stages {
		lv := st.Rate
		if sc.Load.Model == scenarios.ModelClosed {
			lv = st.Users
		}
		out = append(out, stageLevel{dur: st.Duration.D(), from: lv.From, to: lv.To})
	}
	return out
}

func (a *attack) run(ctx context.Context, origin time.Time, hlog *os.File) (*outcome, error) {
	sc := a.sc
	sched := newSchedule(stageLevels(sc))
	closed := sc.Load.Model == scenarios.ModelClosed
	warmup := sc.Load.Warmup.D()

	names := make([]string, len(sc.Requests))
	expects := make([][]int, len(sc.Requests))
	for i, r := range sc.Requests {
		names[i], expects[i] = r.Name, r.Expect
	}
	highest := sc.Target.Timeout.D() + sched.end + time.Minute
	rec, err := newRecorder(recorderConfig{names: names, expects: expects, highest: highest, warmup: warmup, origin: origin, hlog: hlog})
	if err != nil {
		return nil, err
	}

	attackCtx, stopAttack := context.WithCancel(ctx)
	defer stopAttack()

	var (
		pacer    vegeta.Pacer
		sent     func() uint64
		maxWork  = uint64(sc.Load.MaxWorkers)
		openPace *openPacer
	)
	if closed {
		peak := 0
		for _, st := range sc.Load.Stages {
			peak = max(peak, int(math.Max(st.Users.From, st.Users.To)))
		}
		up := newUserPacer(sched, peak, sc.Load.ThinkTime.D(), attackCtx.Done())
		pacer, sent, maxWork = up, up.sent.Load, uint64(max(peak, 1))
		rec.began = up.began.Load
		rec.finished = up.finished
	} else {
		openPace = newOpenPacer(sched)
		pacer, sent = openPace, openPace.sent.Load
		rec.began = openPace.began.Load
		rec.due = sched.due
	}

	var scr *scraper
	scrapeDone := make(chan struct{})
	if sc.Metrics.URL != "" {
		scr = newScraper(sc.Metrics.URL, a.headers, min(sc.Metrics.Interval.D(), 5*time.Second))
		scr.scrape(ctx, 0) // the baseline before any load
		go func() {
			defer close(scrapeDone)
			scr.run(attackCtx, origin, sc.Metrics.Interval.D(), warmup)
		}()
	} else {
		close(scrapeDone)
	}

	client := newClient(attackCtx, sc.Target.Timeout.D(), sc.Load.MaxConnections)
	defer client.CloseIdleConnections()
	attacker := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.MaxWorkers(maxWork),
		vegeta.Workers(min(maxWork, vegeta.DefaultWorkers)),
		vegeta.MaxBody(0),
	)
	prog := &progress{w: a.cfg.progress, every: a.cfg.progressEvery, total: sched.end, unit: "/s"}
	if closed {
		prog.unit = " users"
	}
	if a.cfg.progressTTY != nil {
		prog.tty = *a.cfg.progressTTY
	} else {
		prog.tty = isTerminal(a.cfg.progress)
	}

	resultsCh := attacker.Attack(a.tr.target, pacer, sched.end, sc.Name)
	tick := time.NewTicker(a.cfg.interval)
	defer tick.Stop()
	aborted := false
	done := ctx.Done()
	var maxInFlight int64
	var measuredErrs, measuredReqs int64
	interval := a.cfg.interval
	next := interval
	levelOver := func(from, to time.Duration) float64 {
		if closed {
			return sched.rate(from)
		}
		return (sched.hits(to) - sched.hits(from)) / (to - from).Seconds()
	}
loop:
	for {
		select {
		case res, ok := <-resultsCh:
			if !ok {
				break loop
			}
			rec.record(res)
		case <-tick.C:
			inFlight := int64(sent()) - rec.completed
			maxInFlight = max(maxInFlight, inFlight)
			rec.flush(next, levelOver(next-interval, next), inFlight)
			p := rec.points[len(rec.points)-1]
			measuredReqs, measuredErrs = rec.overall.total.requests, rec.overall.total.requests-rec.overall.total.successes
			prog.update(status{elapsed: next, target: p.TargetRate, achieved: p.AchievedRate, p95us: rec.lastP95,
				requests: measuredReqs, errors: measuredErrs, inFlight: inFlight})
			next += interval
		case <-done:
			aborted = true
			done = nil
			rec.aborting = true
			attacker.Stop()
			stopAttack()
		}
	}
	end := time.Since(origin)
	ended := time.Now()
	if end > next-interval {
		rec.flush(end, levelOver(next-interval, end), 0)
	}
	prog.done()
	stopAttack()
	<-scrapeDone
	if scr != nil {
		scr.scrape(context.WithoutCancel(ctx), end)
	}

	out := &outcome{status: results.StatusCompleted, ended: ended, points: rec.points}
	if aborted {
		out.status = results.StatusAborted
		out.warnings = append(out.warnings, fmt.Sprintf("the run was aborted after %s of %s: figures cover what was recorded", end.Round(time.Millisecond), sched.end))
	}
	if rec.stopped != "" {
		out.warnings = append(out.warnings, fmt.Sprintf("the attack stopped early after %s: %s", end.Round(time.Millisecond), rec.stopped))
	}
	measured := (end - warmup).Seconds()
	if measured < 0 {
		measured = 0
	}
	runEnd := min(end, sched.end)
	targetRate := 0.0
	if !closed && measured > 0 {
		targetRate = (sched.hits(runEnd) - sched.hits(min(warmup, runEnd))) / measured
	}
	totalWeight := 0.0
	for _, r := range sc.Requests {
		totalWeight += r.Weight
	}
	out.endpoints = map[string]results.Stats{}
	for i, ep := range rec.endpoints {
		out.endpoints[ep.name] = ep.stats(measured, targetRate*sc.Requests[i].Weight/totalWeight)
	}
	out.overall = rec.overall.stats(measured, targetRate)

	if !closed {
		dueMeasured := int64(math.Ceil(sched.hits(runEnd) - 1e-9))
		firstMeasured := int64(math.Ceil(sched.hits(min(warmup, runEnd)) - 1e-9))
		unsent := dueMeasured - max(int64(sent()), firstMeasured)
		if unsent > 0 {
			o := &out.overall
			o.Unsent = unsent
			o.Requests += unsent
			o.Errors[kindUnsent.name()] += unsent
			o.ErrorRate = float64(o.Requests-o.Successes) / float64(o.Requests)
		}
		out.warnings = append(out.warnings, saturationWarnings(sc, rec, unsent, maxInFlight)...)
	}
	if scr != nil {
		samples, errs, lastErr := scr.snapshot()
		var w []string
		out.server, w = summarizeServer(sc.Metrics.URL, samples, errs, lastErr, warmup, out.points)
		out.warnings = append(out.warnings, w...)
	}
	if rec.logErr != nil {
		return nil, rec.logErr
	}
	out.serviceLog, err = rec.serviceLog(min(warmup, end), end)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// saturationWarnings says when the generator fell behind its schedule: then
// the run measured the generator (or its worker cap), not only the target.
func saturationWarnings(sc *scenarios.Scenario, rec *recorder, unsent, maxInFlight int64) []string {
	var w []string
	sent := rec.overall.total.requests
	if unsent == 0 && (sent == 0 || float64(rec.late)/float64(sent) < 0.01) {
		return nil
	}
	msg := fmt.Sprintf("the generator fell behind its schedule: %d of %d measured requests left more than %s late (up to %s)",
		rec.late, sent, lateThreshold, rec.lateMax.Round(time.Millisecond))
	if unsent > 0 {
		msg += fmt.Sprintf(", and %d due requests were never sent", unsent)
	}
	msg += "; latency is still measured from the intended send times, but the achieved rate fell short of the target"
	if maxInFlight >= int64(sc.Load.MaxWorkers) {
		msg += fmt.Sprintf(" (in-flight requests reached the max_workers cap of %d: the target is too slow for this rate, or raise the cap)", sc.Load.MaxWorkers)
	} else {
		msg += " (the generator itself could not keep up: the run measured the generator, not the target)"
	}
	return append(w, msg)
}

// IsUnreachable reports whether err says the target did not answer its
// health check.
func IsUnreachable(err error) bool { return errors.Is(err, ErrUnreachable) }
