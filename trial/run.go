package trial

import (
	"context"
	"fmt"
	"time"

	"github.com/loadgate/loadgate/faults"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/runner"
	"github.com/loadgate/loadgate/scenarios"
	"github.com/loadgate/loadgate/target/writes"
	"github.com/loadgate/loadgate/trial/capacity"
)

// Run runs the plan's scenario against its own target (`loadgate run`):
// once, or as a capacity search. Only the fault drills that need nothing
// loadgate started (exec) are set up; the built-in ones need Scenario.
func Run(ctx context.Context, env Env, p Plan) (record.Outcome, error) {
	sc, start, err := resolve(env, p, false)
	if err != nil {
		return unknown, err
	}
	var drills map[string]faults.Action
	if len(sc.Faults) > 0 && !p.DryRun {
		if drills, err = faults.Build(sc, faults.Env{Dir: sc.Dir(), Ledger: env.Ledger}); err != nil {
			return unknown, fmt.Errorf("%w (loadgate scenario sets up the built-in drills against the reference target)", err)
		}
	}
	return runPlan(ctx, env, p, sc, start, steps{drills: drills})
}

// unknown is the outcome of a trial that ended in an error.
var unknown = record.Outcome{Verdict: record.VerdictUnknown}

// steps are what a run takes besides the scenario: the drills of its
// faults and the after-run writes check (both set up by Scenario).
type steps struct {
	drills map[string]faults.Action
	writes *writes.Check
}

// runPlan runs the resolved scenario once into p.Out (or a new directory),
// or, with p.Capacity, step by step; or, with p.DryRun, prints the plan.
func runPlan(ctx context.Context, env Env, p Plan, sc *scenarios.Scenario, start time.Time, s steps) (record.Outcome, error) {
	if p.Capacity != nil {
		return findCapacity(ctx, env, p, sc, s)
	}
	if p.DryRun {
		fmt.Fprint(env.Stdout, sc.Describe())
		return record.Outcome{Verdict: record.VerdictPass}, nil
	}
	dir, out, err := runOnce(ctx, env, p, sc, start, s, p.Out)
	if err != nil {
		return out, err
	}
	fmt.Fprintf(env.Stderr, "report: %s/report.html\n", dir)
	return out, nil
}

// resolve loads the plan's scenario and applies the command line's
// overrides, --gate among them, and reads the common start. Whatever would
// leave the run unable to be evaluated is refused here, before any request.
// writesChecked says the run's writes will be counted after it (Scenario's
// writes check), which a writes_lost gate needs.
func resolve(env Env, p Plan, writesChecked bool) (*scenarios.Scenario, time.Time, error) {
	sc, err := scenarios.Resolve(p.Scenario, scenarios.Options{WritesChecked: writesChecked})
	if err != nil {
		return nil, time.Time{}, err
	}
	o := scenarios.Overrides{TargetURL: p.Target, Duration: p.Duration, Rate: p.Rate, AllowLong: p.AllowLong, Gates: p.Gates}
	if p.Shard != "" {
		if o.Shard, err = scenarios.ParseShardAuto(p.Shard, env.Getenv); err != nil {
			return nil, time.Time{}, err
		}
	}
	var start time.Time
	if p.Capacity == nil { // $LOADGATE_START_AT is for single runs
		if start, err = runner.ParseStartAt(p.StartAt, env.Getenv, time.Now(), p.AllowLong); err != nil {
			return nil, time.Time{}, err
		}
	}
	if err := sc.Apply(o); err != nil {
		return nil, time.Time{}, err
	}
	if p.Capacity != nil {
		// Refused before anything is started (a stack, a target).
		if err := capacity.CheckScenario(sc); err != nil {
			return nil, time.Time{}, fmt.Errorf("--find-capacity: %w", err)
		}
	}
	return sc, start, nil
}

// runOnce runs sc into outDir (empty: a new directory under the results
// root) and takes the run to its verdict: the runner measures it, the
// after-run checks complete it, the report package judges it, run.json is
// written once, then the reports are rendered from it and the gate table
// printed. A run that completed returns its directory even when its gates
// fail.
func runOnce(ctx context.Context, env Env, p Plan, sc *scenarios.Scenario, start time.Time, s steps, outDir string) (string, record.Outcome, error) {
	opts := []runner.Option{runner.WithResultsRoot(p.root()), runner.WithProgress(env.Stderr), runner.WithVersion(env.Version),
		runner.WithCheckpoint(writeCheckpoint)}
	if env.Getenv("GOGC") == "" {
		// Collect less often during the attack, unless the user chose (CONTRACT.md).
		opts = append(opts, runner.WithGCPercent(runner.AttackGCPercent))
	}
	if outDir != "" {
		opts = append(opts, runner.WithOutDir(outDir))
	}
	if p.Commit != "" {
		opts = append(opts, runner.WithCommit(p.Commit))
	}
	if !start.IsZero() {
		opts = append(opts, runner.WithStartAt(start))
	}
	if env.Live != nil {
		opts = append(opts, runner.WithMetrics(env.Live.Next()))
	}
	if s.drills != nil {
		opts = append(opts, runner.WithFaults(s.drills))
	}
	fmt.Fprintf(env.Stderr, "run: %s against %s, %s%s…\n", sc.Name, redact.URL(sc.Target.BaseURL), sc.TotalDuration(), warmupWords(sc))
	res, err := runner.Run(ctx, sc, opts...)
	if err != nil {
		return "", unknown, err
	}
	fmt.Fprintf(env.Stderr, "results: %s\n", res.Dir)
	if s.writes != nil {
		s.writes.Finish(ctx, res.Run)
	}
	// Judged by the gates parsed once, at load.
	o := report.Options{Stderr: env.Stderr, Parsed: sc.ParsedGates()}
	if sc.GatesOverridden() {
		o.Gates = sc.GateExprs() // judged.source: override
	}
	baselineOptions(env, p, res.Run, &o)
	out, err := finish(env, res.Dir, res.Run, res.Timeline, o, p.root())
	if err != nil {
		return "", out, err
	}
	return res.Dir, out, nil
}

// finish takes a run held in memory to its verdict and its files: judged
// (report.Judge), run.json written once (with its timeline), the latest
// link of the results root moved to it, the run added to history, the
// reports rendered from what was written, the gate table printed.
func finish(env Env, dir string, run *record.Run, tl *record.Timeline, o report.Options, root string) (record.Outcome, error) {
	out, err := report.Judge(dir, run, tl, o)
	if err != nil {
		return out, err
	}
	if err := writeRun(dir, run, tl); err != nil {
		return out, err
	}
	if err := linkLatest(root, dir); err != nil {
		return out, err
	}
	addToHistory(env, dir, run)
	ro := o
	ro.Gates, ro.Parsed, ro.Baseline, ro.MaxRegression, ro.Baselines = nil, nil, "", nil, nil
	if _, err := report.Render(dir, ro); err != nil {
		return out, err
	}
	// The table of the verdict just recorded.
	if _, err := report.Gate(dir, report.Options{Stderr: env.Stderr}, env.Stdout); err != nil {
		return out, err
	}
	return out, nil
}

// warmupWords is " (the first 5s a warm-up, not measured)", or "".
func warmupWords(sc *scenarios.Scenario) string {
	if w := sc.Load.Warmup.D(); w > 0 {
		return fmt.Sprintf(" (the first %s a warm-up, not measured)", w)
	}
	return ""
}
