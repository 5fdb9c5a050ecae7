package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/scenarios"
)

// Result is one run as the runner measured it: run.json's content (its gates
// not yet evaluated: Plan.Gates holds the expressions) and timeline.json's,
// in memory, and the run directory, which holds the interval logs
// (latency.hlog, service_time.hlog). The owner of the run (package trial)
// completes, judges and writes them; the runner writes neither JSON file.
type Result struct {
	Run      *record.Run
	Timeline *record.Timeline
	Dir      string
}

// Run runs the scenario against its target into a new run directory and
// returns what it measured.
//
// Before anything is created it checks the target (scenarios.Target.Health:
// its health path answers 2xx, or without one the base URL answers at all;
// a failure is an error wrapping ErrUnreachable, within the preflight timeout)
// and sends the setup requests (ErrSetup). When ctx is cancelled the attack
// stops, everything recorded so far is returned with status "aborted", and
// the error is nil: the caller decides what an aborted run means.
//
// While the attack runs, a snapshot of the run under way (status "running")
// is handed to the WithCheckpoint sink every few seconds, so that a run
// killed without warning can leave what it measured.
//
// The scenario's gates were parsed when it was loaded: the runner measures
// the scenario's named series and the target series its gates write inline
// (run.json's server.series, timeline.json's scrapes and server maps), and
// ends the run when an abort gate fails. run.json's Gates are left empty; Plan.Gates
// holds the scenario's own expressions (scenarios.Scenario.OwnGateExprs),
// which the judgement evaluates unless Overrides.Gates replaced them.
//
// An error after the run directory was created returns a Result that holds
// only Dir.
func Run(ctx context.Context, sc *scenarios.Scenario, opts ...Option) (*Result, error) {
	cfg := newConfig(opts)
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	for _, f := range sc.Faults {
		if cfg.faults[f.Label()] == nil {
			return nil, fmt.Errorf("scenario %s: fault %s has no drill (loadgate scenario sets them up; runner.WithFaults)", sc.Name, f.Label())
		}
	}
	// The target's series the run measures: the scenario's named series
	// and those its gates write inline.
	series, err := newTargetSeries(sc.NamedSeries(), gate.SeriesQueries(sc.ParsedGates()))
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	headers := http.Header{}
	for k, v := range sc.Target.Headers {
		headers.Set(k, v)
	}
	transport, err := targetTransport(sc)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	plain := newPlainClient(sc.Target.Timeout.D(), transport, sc.Target.RedirectLimit())
	defer plain.CloseIdleConnections()

	var prof health
	if sc.Target.Health != scenarios.HealthNone {
		url := strings.TrimRight(sc.Target.BaseURL, "/") + sc.Target.Health
		if sc.Target.Health == "" {
			url = sc.Target.BaseURL
		}
		h, err := preflight(ctx, cfg.clock, plain, url, sc.Target.Health == "", headers, cfg.preflightTimeout)
		if err != nil {
			return nil, err
		}
		prof = h
	}
	if err := runSetup(ctx, plain, sc); err != nil {
		return nil, err
	}
	if cfg.progress != nil {
		// The progress line is the runner's own (on a terminal "\r\033[K"
		// rewrites it in place): it goes to the writer under an escaping one
		// (redact.Unescaped). Every other line (the faults', the wait for the
		// common start) may quote outside text, an injection's error: it is
		// escaped for the terminal. The style is decided on the writer as
		// given (a terminal or not).
		if cfg.progressTTY == nil {
			tty := isTerminal(cfg.progress)
			cfg.progressTTY = &tty
		}
		// Both go through one console, which keeps the live line and the
		// others apart.
		cfg.console = &console{w: redact.Unescaped(cfg.progress)}
		cfg.log = redact.NewTerminalWriter(cfg.console)
	}
	a := &attack{sc: sc, cfg: cfg, headers: headers, transport: transport, series: series}
	if len(sc.Flows) > 0 || sc.HasStreams() {
		// Flows and streams run on the flow engine; plain requests on
		// vegeta's attack.
		a.flows, err = newFlowSet(sc)
	} else {
		a.tr, err = newTargeter(sc, sc.Requests)
	}
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}

	late, err := waitUntil(ctx, cfg.clock, cfg.startAt, cfg.log)
	if err != nil {
		return nil, err
	}
	started := cfg.clock.now()
	shard := ""
	if sc.Shard.Count > 0 {
		shard = sc.Shard.String()
	}
	id := runID(started, sc.Name, shard)
	dir, err := makeRunDir(cfg.root, cfg.out, id)
	if err != nil {
		return nil, err
	}
	id = filepath.Base(dir)
	hlog, err := os.Create(filepath.Join(dir, record.HlogFile))
	if err != nil {
		return nil, fmt.Errorf("creating latency log: %w", err)
	}
	defer hlog.Close()
	var streamHlog *os.File
	if sc.HasStreams() {
		if streamHlog, err = os.Create(filepath.Join(dir, record.StreamHlogFile)); err != nil {
			return nil, fmt.Errorf("creating stream log: %w", err)
		}
		defer streamHlog.Close()
	}

	commit := cfg.commit
	if commit == "" {
		commit = checkoutCommit("")
	}
	if commit == "" {
		commit = buildCommit()
	}
	host, _ := os.Hostname()
	plan, planHash := Plan(sc), sc.PlanHash()
	// doc is run.json for an outcome: the final one, or a checkpoint.
	doc := func(out *outcome) *record.Run {
		run := &record.Run{
			Schema:      record.Schema,
			ID:          id,
			Scenario:    sc.Name,
			Description: sc.Description,
			Status:      out.status,
			Target:      redact.URL(sc.Target.BaseURL),
			Profile:     prof.Profile,
			Started:     started.UTC(),
			Ended:       out.ended.UTC(),
			WarmupS:     sc.Load.Warmup.D().Seconds(),
			Commit:      commit,
			Host:        host,
			Version:     cfg.version,
			Shard:       shard,
			ShardIndex:  sc.Shard.Index,
			ShardCount:  sc.Shard.Count,
			PlanHash:    planHash,
			Plan:        plan,
			Overall:     out.overall,
			Generator:   out.generator,
			Endpoints:   out.endpoints,
			Flows:       out.flows,
			Server:      out.server,
			Gates:       []record.Gate{},
			Warnings:    out.warnings,
			Expected:    out.expected,
			Faults:      out.faults,
			Abort:       out.abort,
			Stopped:     out.stopped,
		}
		if !cfg.startAt.IsZero() {
			at := cfg.startAt.UTC()
			run.StartAt = &at
			if late > time.Second {
				run.Warnings = append(slices.Clip(run.Warnings), fmt.Sprintf("started %s after --start-at %s: other shards may have started on time", late.Round(time.Millisecond), at.Format(time.RFC3339)))
			}
		}
		return run
	}
	timeline := func(run *record.Run, out *outcome) *record.Timeline {
		return &record.Timeline{Schema: record.Schema, IntervalS: cfg.interval.Seconds(), Points: out.points, Faults: faultTimeline(run.Faults), Scrapes: out.scrapes}
	}

	if cfg.metrics != nil {
		names := make([]string, len(sc.Requests))
		for i, r := range sc.Requests {
			names[i] = r.Name
		}
		if a.flows != nil {
			names = a.flows.names
		}
		label := shard
		if label == "" {
			label = "1/1"
		}
		if a.live, err = newLive(cfg.metrics, id, label, sc.Name, names); err != nil {
			return &Result{Dir: dir}, err
		}
	}
	if cfg.checkpointEvery > 0 && cfg.checkpoint != nil {
		a.checkpoint = func(out *outcome) error {
			run := doc(out)
			return cfg.checkpoint(dir, run, timeline(run, out))
		}
	}
	if streamHlog != nil {
		a.streamHlog = streamHlog
	}
	out, err := a.run(ctx, started, hlog)
	if err != nil {
		return &Result{Dir: dir}, err
	}
	if err := hlog.Close(); err != nil {
		return &Result{Dir: dir}, fmt.Errorf("writing latency log: %w", err)
	}
	if streamHlog != nil {
		if err := streamHlog.Close(); err != nil {
			return &Result{Dir: dir}, fmt.Errorf("writing stream log: %w", err)
		}
	}
	run := doc(out)
	if err := record.WriteFile(filepath.Join(dir, record.ServiceHlogFile), out.serviceLog); err != nil {
		return &Result{Dir: dir}, err
	}
	return &Result{Run: run, Timeline: timeline(run, out), Dir: dir}, nil
}

// waitUntil waits on clk for the common start t (none when zero) and
// returns how late it is when t had already passed. While it waits it says
// on progress how long is left: every hour while over an hour away, every
// minute in the last hour, and 10 s before t. A cancelled ctx ends the wait
// with an error: nothing has been sent yet.
func waitUntil(ctx context.Context, clk clock, t time.Time, progress io.Writer) (late time.Duration, err error) {
	if t.IsZero() {
		return 0, nil
	}
	now := clk.now()
	left := t.Sub(now)
	if left <= 0 {
		return -left, nil
	}
	if progress != nil {
		fmt.Fprintf(progress, "waiting %s for the common start at %s\n", left.Round(time.Millisecond), t.UTC().Format(time.RFC3339Nano))
	}
	for left > 0 {
		mark := countdownMark(left)
		due, stop := clk.after(left - mark)
		select {
		case now = <-due:
		case <-ctx.Done():
			stop()
			return 0, fmt.Errorf("stopped while waiting for the common start at %s: %w", t.UTC().Format(time.RFC3339), ctx.Err())
		}
		stop()
		// Subtleness ahead! The tick says when the timer fired: the
		// clock's now may already be later, or (a test's clock) not move.
		if left = t.Sub(now); left > 0 && progress != nil {
			fmt.Fprintf(progress, "starting in %s\n", left.Round(time.Second))
		}
	}
	return 0, nil
}

// countdownMark is the next time left at which waitUntil says how long is
// left, when left remains: the last whole hour before it while over an
// hour, the last whole minute while over a minute, then 10 s, then the
// start itself (0).
func countdownMark(left time.Duration) time.Duration {
	const final = 10 * time.Second
	switch {
	case left > time.Hour:
		return (left - 1) / time.Hour * time.Hour
	case left > time.Minute:
		return (left - 1) / time.Minute * time.Minute
	case left > final:
		return final
	}
	return 0
}

// checkoutCommit is the commit checked out in dir (the working directory
// when empty): what the run tests when it runs from a checkout of the
// target's code; "" outside a git checkout or without git.
func checkoutCommit(dir string) string {
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
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
			return fmt.Errorf("%w: %s %s: %w", ErrSetup, r.Method, redact.URL(req.URL.String()), redact.TerminalError(redact.Error(err)))
		}
		resp.Body.Close()
		if !newExpectation(r.Expect)[min(resp.StatusCode, maxStatus-1)] {
			return fmt.Errorf("%w: %s %s answered %s", ErrSetup, r.Method, redact.URL(req.URL.String()), resp.Status)
		}
	}
	return nil
}

// IsUnreachable reports whether err says the target did not answer its
// health check.
func IsUnreachable(err error) bool { return errors.Is(err, ErrUnreachable) }
