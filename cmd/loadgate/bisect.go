package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/trial"
)

// cmdBisect is `loadgate bisect --good REV --bad REV --metric M SCENARIO --
// COMMAND…`.
func cmdBisect(ctx context.Context, e env, args []string) error {
	f := newFlags("bisect", "--good REV --bad REV --metric ENDPOINT.p95 SCENARIO -- COMMAND [ARG…]",
		"Finds the first commit between --good and --bad at which --metric got slower beyond\n"+
			"noise: git bisect in the working directory's checkout, driven by loadgate. At each\n"+
			"commit COMMAND (an argv, no shell: e.g. sh -c 'go build -o /tmp/t . && exec /tmp/t')\n"+
			"builds and starts the target; loadgate waits until the scenario's target accepts\n"+
			"connections, runs SCENARIO --runs times against it, then kills the target's process\n"+
			"group. A commit is bad when its runs are slower than the good commit's by more than\n"+
			"--max-regression and the rank test over their per-second samples says it is beyond\n"+
			"noise, good when they are faster than the bad commit's beyond noise, and skipped\n"+
			"otherwise (as git bisect run's exit 125). Prints the first bad commit with the two\n"+
			"distributions and exits 0; 2 when it cannot be told. The checkout is left as it was\n"+
			"found (git bisect reset, also on an error or Ctrl-C); one with changes to tracked\n"+
			"files is refused.")
	good := f.String("good", "", "a revision where the metric was fine (required)")
	bad := f.String("bad", "HEAD", "a revision where it is slower")
	metric := f.String("metric", "", "what got slower: ENDPOINT.p95 (or p50, p90, p99, p99.9, max; without ENDPOINT the whole run) (required)")
	runs := f.Int("runs", trial.DefaultBisectRuns, "runs of the scenario per commit")
	maxReg := f.String("max-regression", "10%", "the slowdown against --good that makes a commit bad, when beyond noise")
	ready := f.Duration("ready-timeout", trial.DefaultBisectReady, "how long to wait for COMMAND's target to accept connections")
	target := f.String("target", "", "base URL of the target COMMAND starts (replaces target.base_url)")
	duration := f.Duration("duration", 0, "duration of each run (the stages scale)")
	rate := f.Float64("rate", 0, "peak rate of each run in requests/s (the stages scale)")
	root := f.String("results", "", "where the runs go (default a new temporary directory)")
	var cmdArgs []string
	for i, a := range args {
		if a == "--" {
			args, cmdArgs = args[:i], args[i+1:]
			break
		}
	}
	if err := f.parse(e, args); err != nil {
		return err
	}
	if f.NArg() != 1 || len(cmdArgs) == 0 || *good == "" || *metric == "" {
		return f.argsError("bisect: --good, --metric, one scenario, and the command after --")
	}
	limits, err := report.ParseMaxRegression("x=" + *maxReg)
	if err != nil {
		return usageError(fmt.Errorf("--max-regression: %w", err))
	}
	plan := trial.Plan{Scenario: f.Arg(0), Target: *target, Duration: *duration, Rate: *rate, Root: *root}
	env := trial.Env{Stdout: e.stdout, Stderr: e.stderr, Getenv: e.getenv, Version: version, Ledger: e.ledger}
	res, err := trial.Bisect(ctx, env, trial.BisectPlan{Good: *good, Bad: *bad, Metric: *metric, Plan: plan,
		Command: cmdArgs, Runs: *runs, MaxRegression: limits["x"], Ready: *ready})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "first bad commit: %s\n", res.FirstBad)
	fmt.Fprintf(e.stdout, "  good: %s\n", distribution(res.GoodRuns, *metric))
	fmt.Fprintf(e.stdout, "  bad:  %s\n", distribution(res.FirstBadRuns, *metric))
	fmt.Fprintf(e.stdout, "  %s\n", res.Delta.Words())
	return nil
}

// distribution says a commit's runs of one metric: the commit, each run's
// value, and the per-second samples.
func distribution(runs []record.PastRun, metric string) string {
	if len(runs) == 0 {
		return "(no runs)"
	}
	var vals []string
	samples := 0
	for _, r := range runs {
		d, err := report.CompareRuns([]record.PastRun{r}, []record.PastRun{r}, metric, 0)
		if err != nil && d.Value == 0 {
			vals = append(vals, "?")
			continue
		}
		vals = append(vals, gate.FormatMicros(d.Value))
		samples += d.Samples
	}
	all, _ := report.CompareRuns(runs, runs, metric, 0) // its values are set whatever the samples
	med := gate.FormatMicros(all.Value)
	return fmt.Sprintf("%s %s median %s over %d runs (%s), %d per-second samples",
		runs[0].Run.Commit, metric, med, len(runs), strings.Join(vals, ", "), samples)
}
