package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/loadgate/loadgate/report"
)

// cmdReport renders a run's report again, or a comparison of several runs.
func cmdReport(ctx context.Context, e env, args []string) error {
	fs := newFlags("report", "RUN [RUN…]", "Renders report.html, summary.md and junit.xml of the run directory RUN again, with the\n"+
		"verdict it recorded in run.json (never judged again by other gates). With\n"+
		"several runs it renders their comparison into --out instead: the first run is the one\n"+
		"the others are measured against.")
	out := fs.String("out", "results/compare", "comparison: directory for report.html and summary.md")
	labels := fs.String("labels", "", "comparison: comma-separated labels of the runs, in order")
	assets := fs.String("assets", report.AssetsInline, "inline (one file, works offline) or cdn")
	if err := fs.parse(e, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fs.argsError("report: at least one run directory")
	}
	opts := report.Options{Assets: *assets, Stderr: e.stderr}
	if fs.NArg() == 1 {
		out, err := report.Render(fs.Arg(0), opts)
		if err != nil {
			return err
		}
		if out.Incomplete {
			fmt.Fprintf(e.stderr, "loadgate: %s did not finish: its report shows what was measured up to its last checkpoint, marked incomplete\n", fs.Arg(0))
		}
		fmt.Fprintf(e.stdout, "%s/report.html\n", fs.Arg(0))
		return nil
	}
	if *labels != "" {
		opts.Labels = strings.Split(*labels, ",")
	}
	if _, err := report.Compare(fs.Args(), *out, opts); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s/report.html\n", *out)
	return nil
}

// cmdGate prints a run's gate table and exits 0 pass, 1 fail, 2 unknown.
func cmdGate(ctx context.Context, e env, args []string) error {
	fs := newFlags("gate", "RUN", "Prints the gate table of the run directory RUN and exits 0 (every gate passed), 1 (a\n"+
		"gate failed) or 2 (a gate could not be evaluated, or RUN is not a run): the verdict RUN\n"+
		"recorded in run.json when it ran. --gate evaluates other gates instead and --baseline\n"+
		"adds a regression check against that run (--baseline history: against the last\n"+
		"--baseline-runs completed runs of the same plan in the history store, from\n"+
		"--baseline-branch or the merge base of HEAD and main; exit 2 when there is none);\n"+
		"the table then says it is not the recorded verdict. Nothing is written.")
	var gates multiFlag
	fs.Var(&gates, "gate", "evaluate this gate instead of the run's recorded ones, ad hoc (repeatable)")
	baseline := fs.String("baseline", "", "run directory to check for regressions against, or history: the last runs of the same plan in the history store")
	maxReg := fs.String("max-regression", "", "allowed increase, e.g. p95=10%,search.p99=20%")
	hist := historyFlag(fs)
	bf := addBaselineFlags(fs)
	if err := fs.parse(e, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fs.argsError("gate: one run directory")
	}
	opts := report.Options{Gates: gates, Baseline: *baseline, Stderr: e.stderr}
	if *maxReg != "" {
		m, err := report.ParseMaxRegression(*maxReg)
		if err != nil {
			return usageError(err)
		}
		opts.MaxRegression = m
	}
	if *baseline == report.BaselineHistory {
		if err := gateAgainstHistory(ctx, e, fs.Arg(0), historyURL(*hist, e, resultsRootOf(fs.Arg(0))), bf, &opts); err != nil {
			return err
		}
	}
	out, err := report.Gate(fs.Arg(0), opts, e.stdout)
	if err != nil {
		return err
	}
	return outcomeError(out)
}
