package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/target"
	"github.com/loadgate/loadgate/target/services"
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
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	f := addRunFlags(fs)
	sf := addSeedFlags(fs)
	keepData := fs.Bool("keep-data", false, "leave the rows the runs wrote (meals, messages, XP…) in the database")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: loadgate compare [flags] SCENARIO\n\n"+
			"Runs SCENARIO against the reference target in the baseline profile, then the optimized\n"+
			"profile, on the same data, and renders the comparison into --out (default\n"+
			"results/<time>-compare-<scenario>). The database is put back as it was found.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(reorder(args)); err != nil {
		return usageError(err)
	}
	if fs.NArg() != 1 {
		return usageError(errors.New("usage: loadgate compare [flags] SCENARIO"))
	}
	switch {
	case *f.target != "":
		return usageError(errors.New("compare runs the reference target itself: --target does not apply (use run against your own target)"))
	case *f.shard != "" || *f.startAt != "":
		return usageError(errors.New("compare: --shard and --start-at do not apply"))
	case *f.capacity.find:
		return usageError(errors.New("compare: --find-capacity does not apply (use scenario --find-capacity --profile …)"))
	}
	if err := f.check(); err != nil {
		return err
	}
	name := fs.Arg(0)
	if _, err := resolveScenario(e, name, f); err != nil {
		return err
	}
	if *f.dryRun {
		return runScenario(ctx, e, name, f)
	}
	return withCPUProfile(e, f, func() error { return compareWithStack(ctx, e, name, f, sf, *keepData) })
}

// compareWithStack is cmdCompare after its flags.
func compareWithStack(ctx context.Context, e env, name string, f *runFlags, sf *seedFlags, keepData bool) error {
	out := *f.out
	if out == "" {
		out = filepath.Join(*f.root, time.Now().UTC().Format("20060102T150405Z")+"-compare-"+scenarioLabel(name))
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}

	// Whether the indexes are applied is read before set-up migrates (which
	// applies them).
	var indexes bool
	stack, err := setUpStack(ctx, e, sf.options(), func(url string) (err error) {
		indexes, err = indexesBefore(ctx, url)
		return err
	})
	if err != nil {
		return err
	}
	defer stack.Stop()
	before, err := snapshotDB(ctx, stack.DatabaseURL)
	if err != nil {
		return err
	}
	before.indexes = indexes
	prefix := os.Getenv(target.EnvRedisPrefix)
	if prefix == "" {
		prefix = target.DefaultKeyPrefix
	}
	// Put the database back whatever happens below, Ctrl-C included (ctx is
	// then cancelled, so a context of its own).
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		before.keepRows = keepData
		if err := restoreState(rctx, before, stack, prefix); err != nil {
			fmt.Fprintf(e.stderr, "loadgate: compare: RESTORING THE DATABASE FAILED: %v\n", err)
			return
		}
		what := "rows the runs wrote deleted"
		if before.keepRows {
			what = "rows the runs wrote kept (--keep-data)"
		}
		fmt.Fprintf(e.stderr, "compare: database restored: performance indexes applied: %v; %s\n", before.indexes, what)
	}()

	dirs := make([]string, 0, len(compareProfiles))
	var outcome report.Outcome
	for _, profile := range compareProfiles {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted before the %s run: nothing compared (runs so far: %s)", profile, strings.Join(dirs, ", "))
		}
		n, err := flushRedisPrefix(ctx, stack.RedisURL, prefix)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "compare: %s run; %d cache keys under %s deleted\n", profile, n, prefix)
		t, err := startTarget(ctx, e, stack, profile)
		if err != nil {
			return err
		}
		g := *f
		g.target = &t.base
		g.start = time.Time{} // $LOADGATE_START_AT is for single runs
		sc, err := resolveScenario(e, name, &g)
		if err != nil {
			t.stop()
			return err
		}
		dir, o, err := runOnce(ctx, e, sc, &g, filepath.Join(out, profile))
		t.stop()
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

// restoreState puts back what snapshotDB recorded and deletes the target's
// cache keys, which may hold what the deleted rows said.
func restoreState(ctx context.Context, s *dbState, stack *services.Stack, prefix string) error {
	if err := s.restore(ctx, stack.DatabaseURL); err != nil {
		return err
	}
	_, err := flushRedisPrefix(ctx, stack.RedisURL, prefix)
	return err
}

func scenarioLabel(name string) string {
	base := filepath.Base(name)
	if ext := filepath.Ext(base); ext != "" {
		base = base[:len(base)-len(ext)]
	}
	return base
}
