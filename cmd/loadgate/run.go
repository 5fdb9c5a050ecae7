package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/loadgate/loadgate/faults"
	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/runner"
	"github.com/loadgate/loadgate/scenarios"
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

	start time.Time             // --start-at (or $LOADGATE_START_AT), parsed
	live  *runner.MetricsServer // serving --metrics-addr, while the command lasts

	// drills are the scenario's fault drills (loadgate scenario sets them
	// up); writes, when set, completes run.json after the run, before the
	// report is written.
	drills map[string]faults.Action
	writes *faults.WritesCheck
}

// addRunFlags adds the flags of run and scenario.
func addRunFlags(f *cmdFlags) *runFlags {
	r := addLoadFlags(f)
	r.target = f.String("target", "", "base URL of the target (replaces target.base_url)")
	r.out = f.String("out", "", "exact run directory (default results/<time>-<scenario>)")
	r.shard = f.String("shard", "", "run shard i/N: 1/N of the rate and of unique data; auto: i from $JOB_COMPLETION_INDEX (0-based, as a Kubernetes Indexed Job sets it), N from $"+scenarios.EnvShards)
	r.startAt = f.String("start-at", "", "start the attack at this time (RFC 3339), so that shards on several machines start together; default $"+runner.EnvStartAt)
	r.capacity = addCapacityFlags(f)
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
	return r
}

// check rejects flag combinations that make no sense (exit 2).
func (f *runFlags) check() error {
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
	return withCPUProfile(e, r, func() error { return runScenario(ctx, e, f.Arg(0), r) })
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

// runScenario resolves the scenario and runs it once (or, with
// --find-capacity, step by step), renders the report and maps the gate
// outcome to an error.
func runScenario(ctx context.Context, e env, name string, f *runFlags) error {
	sc, err := resolveScenario(e, name, f)
	if err != nil {
		return err
	}
	if *f.capacity.find {
		f.start = time.Time{} // $LOADGATE_START_AT is for single runs
		return findCapacity(ctx, e, sc, f)
	}
	if *f.dryRun {
		fmt.Fprint(e.stdout, sc.Describe())
		return nil
	}
	if f.drills == nil && len(sc.Faults) > 0 {
		// loadgate run: only drills that need nothing loadgate started
		// (exec); the built-in ones are refused before the run.
		if f.drills, err = faults.Build(sc, faults.Env{Dir: sc.Dir()}); err != nil {
			return usageError(fmt.Errorf("%w (loadgate scenario sets up the built-in drills against the reference target)", err))
		}
	}
	dir, out, err := runOnce(ctx, e, sc, f, *f.out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "report: %s/report.html\n", dir)
	return outcomeError(out)
}

// checkGate is the report package's gate parser as the scenarios package
// asks for it (it cannot import report).
func checkGate(expr string) (scenarios.GateInfo, error) {
	g, err := gate.Parse(expr)
	if err != nil {
		return scenarios.GateInfo{}, err
	}
	if g.PerFault() {
		return scenarios.GateInfo{Fault: g.Endpoint}, nil
	}
	return scenarios.GateInfo{Endpoint: g.Endpoint, Scraped: g.Scraped()}, nil
}

// resolveScenario loads the scenario and applies the command line's
// overrides; it checks the --gate expressions against it. Whatever would
// leave the run unable to be evaluated is refused here, before any request.
func resolveScenario(e env, name string, f *runFlags) (*scenarios.Scenario, error) {
	sc, err := scenarios.Resolve(name, scenarios.Options{CheckGate: checkGate})
	if err != nil {
		return nil, err
	}
	o := scenarios.Overrides{TargetURL: *f.target, Duration: *f.duration, Rate: *f.rate, AllowLong: *f.long}
	if *f.shard != "" {
		if o.Shard, err = scenarios.ParseShardAuto(*f.shard, e.getenv); err != nil {
			return nil, usageError(err)
		}
	}
	if f.start, err = runner.ParseStartAt(*f.startAt, e.getenv, time.Now(), *f.long); err != nil {
		return nil, usageError(err)
	}
	if err := sc.Apply(o); err != nil {
		return nil, err
	}
	if err := f.capacity.checkScenario(sc); err != nil {
		return nil, err
	}
	for _, g := range f.gates {
		if err := sc.CheckGate(g, checkGate); err != nil {
			return nil, usageError(fmt.Errorf("--gate: %w", err))
		}
	}
	return sc, nil
}

// runOnce runs sc into outDir (empty: a new directory under the results
// root), evaluates the gates, writes the report and prints the gate table.
// A run that completed returns its directory even when the gates fail.
func runOnce(ctx context.Context, e env, sc *scenarios.Scenario, f *runFlags, outDir string) (string, record.Outcome, error) {
	opts := []runner.Option{runner.WithResultsRoot(*f.root), runner.WithProgress(e.stderr), runner.WithVersion(version)}
	if e.getenv("GOGC") == "" {
		// Collect less often during the attack, unless the user chose (CONTRACT.md).
		opts = append(opts, runner.WithGCPercent(runner.AttackGCPercent))
	}
	if outDir != "" {
		opts = append(opts, runner.WithOutDir(outDir))
	}
	if !f.start.IsZero() {
		opts = append(opts, runner.WithStartAt(f.start))
	}
	if f.live != nil {
		opts = append(opts, runner.WithMetrics(f.live.Next()))
	}
	// The target series the gates name are measured, and abort gates
	// judged, by the runner, which does not read the gate language: the
	// gate package says which series and judges.
	opts = append(opts, runner.WithSeries(gate.SeriesQueries(gatesOf(sc, f))...), runner.WithGateJudge(gate.Judge))
	if f.drills != nil {
		opts = append(opts, runner.WithFaults(f.drills))
	}
	_, dir, err := runner.Run(ctx, sc, opts...)
	if err != nil {
		return "", record.Outcome{}, err
	}
	fmt.Fprintf(e.stderr, "results: %s\n", dir)
	if f.writes != nil {
		if err := f.writes.Finish(ctx, dir); err != nil {
			return "", record.Outcome{}, err
		}
	}
	out, err := report.Finish(dir, report.Options{Gates: f.gates, Stderr: e.stderr})
	if err != nil {
		return "", out, err
	}
	// The table of the verdict just recorded (by --gate's gates if given).
	if _, err := report.Gate(dir, report.Options{Stderr: e.stderr}, e.stdout); err != nil {
		return "", out, err
	}
	return dir, out, nil
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
	return &exitCodeError{code: exitError, err: errors.New("a gate could not be evaluated (see the table)")}
}
