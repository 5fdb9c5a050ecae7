package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/loadgate/loadgate/history"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/runner"
	"github.com/loadgate/loadgate/scenarios"
	"github.com/loadgate/loadgate/trial"
)

// runFlags are the flags of the commands that run a scenario. compare
// registers only those it uses; the others keep their zero values.
type runFlags struct {
	target   *string
	duration *time.Duration
	rate     *float64
	out      *string
	root     *string
	shard    *string
	startAt  *string
	dryRun   *bool
	long     *bool
	gates    multiFlag
	cpuProf  *string
	metrics  *string
	capacity *capacityFlags
	history  *string
	baseline *string
	maxReg   *string
	base     *baselineFlags

	live     *runner.MetricsServer // serving --metrics-addr, while the command lasts
	recorder *history.Recorder     // the history store, opened by trialEnv
}

// plan is the trial the flags ask for, running scenario.
func (f *runFlags) plan(scenario string) trial.Plan {
	p := trial.Plan{Scenario: scenario, Target: *f.target, Duration: *f.duration, Rate: *f.rate, Shard: *f.shard,
		StartAt: *f.startAt, AllowLong: *f.long, Root: *f.root, Out: *f.out, DryRun: *f.dryRun}
	if f.gates != nil {
		p.Gates = append([]string{}, f.gates...)
	}
	if *f.capacity.find {
		set := f.capacity.set
		p.Capacity = &set
	}
	if f.baseline != nil && *f.baseline != "" {
		p.Baseline = *f.baseline
		p.MaxRegression, _ = report.ParseMaxRegression(*f.maxReg) // checked by check
	}
	return p
}

// trialEnv is what a trial may touch: the command's streams and
// environment, the version, the live metrics server.
// The history store is opened at its first use and closed by the command
// (closeHistory).
func (f *runFlags) trialEnv(ctx context.Context, e env) trial.Env {
	env := trial.Env{Stdout: e.stdout, Stderr: e.stderr, Getenv: e.getenv, Version: version, Live: f.live, Ledger: e.ledger}
	if f.recorder == nil {
		f.recorder = recorder(ctx, e, historyURL(*f.history, e, f.resultsRoot()), f.base)
	}
	if f.recorder != nil {
		env.History = f.recorder
	}
	return env
}

// resultsRoot is where the command writes its runs: the directory holding
// --out, else --results.
func (f *runFlags) resultsRoot() string {
	if *f.out != "" {
		return resultsRootOf(*f.out)
	}
	return *f.root
}

// closeHistory closes the history store trialEnv opened.
func (f *runFlags) closeHistory(e env) { closeRecorder(e, f.recorder) }

// addRunFlags adds the flags of run and scenario.
func addRunFlags(f *cmdFlags) *runFlags {
	r := addLoadFlags(f)
	r.target = f.String("target", "", "base URL of the target (replaces target.base_url)")
	r.out = f.String("out", "", "exact run directory (default results/<time>-<scenario>)")
	r.shard = f.String("shard", "", "run shard i/N: 1/N of the rate and of unique data; auto: i from $JOB_COMPLETION_INDEX (0-based, as a Kubernetes Indexed Job sets it), N from $"+scenarios.EnvShards)
	r.startAt = f.String("start-at", "", "start the attack at this time (RFC 3339), so that shards on several machines start together; default $"+runner.EnvStartAt)
	r.capacity = addCapacityFlags(f)
	r.baseline = f.String("baseline", "", "add a regression check against this run directory, or history: the last runs of the same plan in the history store (recorded in the verdict)")
	r.maxReg = f.String("max-regression", "p95=10%", "--baseline: allowed increase, e.g. p95=10%,search.p99=20%")
	r.base = addBaselineFlags(f)
	return r
}

// addLoadFlags adds the flags every command that runs a scenario has.
func addLoadFlags(f *cmdFlags) *runFlags {
	r := &runFlags{target: new(string), out: new(string), shard: new(string), startAt: new(string), capacity: newCapacityFlags()}
	r.duration = f.Duration("duration", 0, "total duration; the stages scale proportionally, the warm-up keeps its length up to a third of it")
	r.rate = f.Float64("rate", 0, "peak rate in requests/s; the stages scale proportionally")
	r.root = f.String("results", "results", "results root")
	r.dryRun = f.Bool("dry-run", false, "print the resolved plan and exit")
	r.long = f.Bool("allow-long", false, fmt.Sprintf("allow a plan over %s or %d requests, or a --start-at over %s ahead (refused otherwise, as a likely typo)",
		scenarios.MaxPlanDuration, int64(scenarios.MaxPlanRequests), runner.MaxStartAhead))
	r.cpuProf = f.String("cpuprofile", "", "write a CPU profile of loadgate itself (runtime/pprof) to this file")
	r.metrics = f.String("metrics-addr", "", "serve live Prometheus metrics of the run on this address (host:port) at /metrics while it lasts")
	f.Var(&r.gates, "gate", "gate expression replacing the scenario's (repeatable)")
	r.history = historyFlag(f)
	return r
}

// check rejects flag combinations that make no sense (exit 2).
func (f *runFlags) check() error {
	if f.baseline != nil && *f.baseline != "" {
		if *f.capacity.find {
			return usageError(errors.New("--baseline checks one run; a capacity search's steps are judged by their gates only"))
		}
		if _, err := report.ParseMaxRegression(*f.maxReg); err != nil {
			return usageError(fmt.Errorf("--max-regression: %w", err))
		}
	}
	if !*f.capacity.find {
		return f.capacity.checkUnused()
	}
	if *f.duration != 0 || *f.rate != 0 {
		return usageError(errors.New("--find-capacity sets the levels and durations itself: use --step-hold and --capacity-start instead of --duration and --rate"))
	}
	if *f.out != "" || *f.shard != "" || *f.startAt != "" {
		return usageError(errors.New("--find-capacity writes a directory per step under --results; --out, --shard and --start-at do not apply"))
	}
	return f.capacity.check()
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// runAbout describes run's argument and outcome; scenario shares it.
var runAbout = "SCENARIO is a built-in (" + strings.Join(scenarios.Names(), ", ") + ") or a YAML file.\n" +
	"Runs it against its target, writes results/<time>-<scenario>/ (run.json, latency.hlog,\n" +
	"timeline.json, report.html, summary.md, junit.xml), prints the gate table and exits\n" +
	"0 (every gate passed), 1 (a gate failed) or 2 (bad input, target unreachable, or a gate\n" +
	"could not be evaluated)."

// cmdRun runs a scenario against a target, writes the results directory,
// renders the report and exits as gate would.
func cmdRun(ctx context.Context, e env, args []string) error {
	f := newFlags("run", "SCENARIO", runAbout)
	r := addRunFlags(f)
	if err := f.parse(e, args); err != nil {
		return err
	}
	if f.NArg() != 1 {
		return f.argsError("run: one scenario, a built-in name or a YAML file")
	}
	if err := r.check(); err != nil {
		return err
	}
	defer r.closeHistory(e)
	return withCPUProfile(e, r, func() error {
		out, err := trial.Run(ctx, r.trialEnv(ctx, e), r.plan(f.Arg(0)))
		return verdictError(out, err)
	})
}

// withCPUProfile runs fn, profiling loadgate's CPU into --cpuprofile and
// serving the live metrics on --metrics-addr, when given.
func withCPUProfile(e env, f *runFlags, fn func() error) error {
	if *f.metrics != "" {
		live, err := runner.ServeMetrics(*f.metrics)
		if err != nil {
			return usageError(fmt.Errorf("--metrics-addr %s: %w", *f.metrics, err))
		}
		fmt.Fprintf(e.stderr, "live metrics: http://%s/metrics\n", live.Addr())
		f.live = live
		defer func() {
			if err := live.Close(); err != nil {
				fmt.Fprintf(e.stderr, "loadgate: %v\n", err)
			}
		}()
	}
	if *f.cpuProf == "" {
		return fn()
	}
	stop, err := startCPUProfile(*f.cpuProf)
	if err != nil {
		return err
	}
	defer stop(e)
	return fn()
}

// startCPUProfile profiles loadgate's own CPU into path until stop is called.
func startCPUProfile(path string) (stop func(env), err error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, usageError(fmt.Errorf("--cpuprofile: %w", err))
	}
	if err := pprof.StartCPUProfile(file); err != nil {
		file.Close()
		return nil, fmt.Errorf("--cpuprofile %s: %w", path, err)
	}
	return func(e env) {
		pprof.StopCPUProfile()
		if err := file.Close(); err != nil {
			fmt.Fprintf(e.stderr, "loadgate: writing the CPU profile %s: %v\n", path, err)
			return
		}
		fmt.Fprintf(e.stderr, "cpu profile: %s (go tool pprof %s)\n", path, path)
	}, nil
}

// verdictError maps what a trial ended with to the command's error: err
// itself (exit 2; a capacity setting's names its flag), else the outcome's.
func verdictError(out record.Outcome, err error) error {
	if err != nil {
		return flagError(err)
	}
	return outcomeError(out)
}

func outcomeError(out record.Outcome) error {
	if out.Incomplete {
		return &exitCodeError{code: exitError, err: errors.New("the run did not finish (its run.json is a checkpoint, status running): it cannot be judged")}
	}
	switch out.ExitCode() {
	case exitOK:
		return nil
	case exitGateFailed:
		return errGateFailed
	}
	switch {
	case out.NotAsPlanned != "":
		// Its words may quote outside text (a drill's name): one line.
		return &exitCodeError{code: exitError, err: errors.New("inconclusive: the run did not do what it planned: " + redact.Terminal(out.NotAsPlanned))}
	case out.Inconclusive != "":
		return &exitCodeError{code: exitError, err: errors.New("inconclusive: the generator could not keep the plan (see the table)")}
	case len(out.Reasons) > 0 && len(out.Gates) == 0:
		// A reason may quote outside text (a drill's error): one line.
		return &exitCodeError{code: exitError, err: errors.New(redact.Terminal(out.Reasons[0]))}
	}
	return &exitCodeError{code: exitError, err: errors.New("a gate could not be evaluated (see the table)")}
}
