package main

import (
	"context"

	"github.com/loadgate/loadgate/trial"
)

// cmdCompare runs one scenario against the reference target in the baseline
// profile and then the optimized one, on the same data, and renders the
// comparison. It records the database's state first (performance indexes,
// rows, user_xp) and puts it back at the end, also on an error or Ctrl-C;
// the target's Redis keys are deleted before each run and at the end. It
// exits with the gate outcome of the optimized run.
func cmdCompare(ctx context.Context, e env, args []string) error {
	f := newFlags("compare", "SCENARIO", "Runs SCENARIO (a built-in or a YAML file) against the reference target in the baseline\n"+
		"profile, then the optimized profile, on the same data (the stack set up as 'scenario'\n"+
		"does, the target's Redis keys deleted before each run), and renders the comparison\n"+
		"into --out. The database is put back as it was found, also after an error or a first\n"+
		"Ctrl-C. Exits with the optimized run's gate outcome: 0, 1 or 2. What 'make compare' calls.")
	r := addLoadFlags(f)
	r.out = f.String("out", "", "directory of the comparison and both runs (default results/<time>-compare-<scenario>)")
	sf := addSeedFlags(f)
	keepData := f.Bool("keep-data", false, "leave the rows the runs wrote (meals, messages, XP…) in the database")
	f.refuse("target", "compare runs the reference target itself (use run against your own target)")
	f.refuse("shard", "compare runs each profile once, unsharded")
	f.refuse("start-at", "compare starts each run itself")
	f.refuse("find-capacity", "use scenario --find-capacity --profile …")
	if err := f.parse(e, args); err != nil {
		return err
	}
	if f.NArg() != 1 {
		return f.argsError("compare: one scenario, a built-in name or a YAML file")
	}
	if err := r.check(); err != nil {
		return err
	}
	defer r.closeHistory(e)
	return withCPUProfile(e, r, func() error {
		out, err := trial.Compare(ctx, r.trialEnv(ctx, e), r.plan(f.Arg(0)), trial.Stack{Seed: sf.options()}, *keepData)
		return verdictError(out, err)
	})
}
