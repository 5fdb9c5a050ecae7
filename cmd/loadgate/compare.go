package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/target"
	"github.com/loadgate/loadgate/target/seed"
)

// compareProfiles are the profiles compare runs, in order; the labels of the
// comparison report.
var compareProfiles = []string{string(target.Baseline), string(target.Optimized)}

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
	name := f.Arg(0)
	sc, err := resolveScenario(e, name, r)
	if err != nil {
		return err
	}
	if *r.dryRun {
		return runScenario(ctx, e, name, r)
	}
	return withCPUProfile(e, r, func() error { return compareWithStack(ctx, e, name, sc.Name, r, sf, *keepData) })
}

// compareWithStack is cmdCompare after its flags; label is the scenario's
// name, which names the default directory as it names a run's.
func compareWithStack(ctx context.Context, e env, name, label string, f *runFlags, sf *seedFlags, keepData bool) error {
	out := *f.out
	if out == "" {
		out = record.CompareDir(*f.root, label, time.Now())
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}

	// The target started below gets this process's environment (SelfTarget),
	// so its key prefix is the one this process would take.
	stack, saved, err := seed.StackSaved(ctx, sf.options(), e.stderr, target.KeyPrefix(os.Getenv))
	if err != nil {
		return err
	}
	defer stack.Stop()
	// Put the database back whatever happens below, Ctrl-C included (ctx is
	// then cancelled, so a context of its own).
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if err := saved.Restore(rctx, keepData); err != nil {
			fmt.Fprintf(e.stderr, "loadgate: compare: RESTORING THE DATABASE FAILED: %v\n", err)
			return
		}
		what := "rows the runs wrote deleted"
		if keepData {
			what = "rows the runs wrote kept (--keep-data)"
		}
		fmt.Fprintf(e.stderr, "compare: database restored: performance indexes applied: %v; %s\n", saved.IndexesApplied(), what)
	}()

	dirs := make([]string, 0, len(compareProfiles))
	var outcome record.Outcome
	for _, profile := range compareProfiles {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted before the %s run: nothing compared (runs so far: %s)", profile, strings.Join(dirs, ", "))
		}
		n, err := saved.FlushCache(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "compare: %s run; %d cache keys under %s deleted\n", profile, n, saved.Prefix())
		t, err := startTarget(ctx, e, stack.DatabaseURL, stack.RedisURL, profile, false)
		if err != nil {
			return err
		}
		g := *f
		base := t.Base()
		g.target = &base
		g.start = time.Time{} // $LOADGATE_START_AT is for single runs
		sc, err := resolveScenario(e, name, &g)
		if err != nil {
			t.Stop()
			return err
		}
		dir, o, err := runOnce(ctx, e, sc, &g, filepath.Join(out, profile))
		t.Stop()
		if err != nil {
			return fmt.Errorf("%s run: %w", profile, err)
		}
		dirs, outcome = append(dirs, dir), o
	}
	if _, err := report.Compare(dirs, out, report.Options{Labels: compareProfiles, Stderr: e.stderr}); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "compare: optimized run %s\n", outcome.Headline())
	fmt.Fprintf(e.stdout, "comparison: %s/report.html (runs %s)\n", out, strings.Join(dirs, ", "))
	return outcomeError(outcome)
}
