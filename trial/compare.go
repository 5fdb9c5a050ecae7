package trial

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/target"
	"github.com/loadgate/loadgate/target/seed"
)

// CompareProfiles are the profiles Compare runs, in order; the labels of
// the comparison report.
var CompareProfiles = []string{string(target.Baseline), string(target.Optimized)}

// Compare runs the plan's scenario against the reference target in the
// baseline profile and then the optimized one, on the same data, and
// renders the comparison into p.Out (default a new directory under the
// results root, with the runs in baseline/ and optimized/). It records the
// database's state first (performance indexes, rows, user_xp) and puts it
// back at the end, also on an error or an interrupt (keepData keeps the
// rows the runs wrote); the target's Redis keys are deleted before each
// run. Its outcome is the optimized run's.
func Compare(ctx context.Context, env Env, p Plan, st Stack, keepData bool) (record.Outcome, error) {
	sc, _, err := resolve(env, p, false)
	if err != nil {
		return unknown, err
	}
	if p.DryRun {
		return runPlan(ctx, env, p, sc, time.Time{}, steps{})
	}
	out := p.Out
	if out == "" {
		out = record.CompareDir(p.root(), sc.Name, time.Now())
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return unknown, err
	}

	// The target started below gets this process's environment (SelfTarget),
	// so its key prefix is the one this process would take.
	stack, saved, err := seed.StackSaved(ctx, st.Seed, env.Stderr, target.KeyPrefix(os.Getenv))
	if err != nil {
		return unknown, err
	}
	defer stack.Stop()
	// Put the database back whatever happens below, an interrupt included
	// (ctx is then cancelled, so a context of its own).
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if err := saved.Restore(rctx, keepData); err != nil {
			fmt.Fprintf(env.Stderr, "loadgate: compare: RESTORING THE DATABASE FAILED: %v\n", err)
			return
		}
		what := "rows the runs wrote deleted"
		if keepData {
			what = "rows the runs wrote kept (--keep-data)"
		}
		fmt.Fprintf(env.Stderr, "compare: database restored: performance indexes applied: %v; %s\n", saved.IndexesApplied(), what)
	}()

	dirs := make([]string, 0, len(CompareProfiles))
	var outcome record.Outcome
	for _, profile := range CompareProfiles {
		if ctx.Err() != nil {
			return unknown, fmt.Errorf("interrupted before the %s run: nothing compared (runs so far: %s)", profile, strings.Join(dirs, ", "))
		}
		n, err := saved.FlushCache(ctx)
		if err != nil {
			return unknown, err
		}
		fmt.Fprintf(env.Stderr, "compare: %s run; %d cache keys under %s deleted\n", profile, n, saved.Prefix())
		t, err := startTarget(ctx, env, stack.DatabaseURL, stack.RedisURL, profile, false)
		if err != nil {
			return unknown, err
		}
		q := p
		q.Target = t.Base()
		q.StartAt = "" // $LOADGATE_START_AT is for single runs
		sc, _, err := resolve(env, q, false)
		if err != nil {
			t.Stop()
			return unknown, err
		}
		dir, o, err := runOnce(ctx, env, q, sc, time.Time{}, steps{}, filepath.Join(out, profile))
		t.Stop()
		if err != nil {
			return unknown, fmt.Errorf("%s run: %w", profile, err)
		}
		dirs, outcome = append(dirs, dir), o
	}
	if _, err := report.Compare(dirs, out, report.Options{Labels: CompareProfiles, Stderr: env.Stderr}); err != nil {
		return unknown, err
	}
	// latest names the last thing made: the comparison, which `loadgate
	// gate` judges by its last run.
	if err := linkLatest(p.root(), out); err != nil {
		return unknown, err
	}
	fmt.Fprintf(env.Stderr, "compare: optimized run %s\n", redact.Terminal(outcome.Headline()))
	fmt.Fprintf(env.Stdout, "comparison: %s/report.html (runs %s)\n", out, strings.Join(dirs, ", "))
	return outcome, nil
}
