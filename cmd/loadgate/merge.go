package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/runner"
)

// cmdMerge merges shard runs into one run, renders its report and exits as
// gate would on the plan's gates.
func cmdMerge(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	out := fs.String("out", "", "the merged run's directory (absent or empty)")
	partial := fs.Bool("partial", false, "merge even when shards are missing or did not complete; the result is marked partial and cannot pass")
	assets := fs.String("assets", report.AssetsInline, "inline (one file, works offline) or cdn")
	if err := fs.Parse(reorder(args)); err != nil {
		return usageError(err)
	}
	if fs.NArg() == 0 || *out == "" {
		return usageError(errors.New("usage: loadgate merge [--partial] --out DIR SHARD_RUN…"))
	}
	var opts []runner.MergeOption
	if *partial {
		opts = append(opts, runner.Partial())
	}
	run, err := runner.Merge(fs.Args(), *out, opts...)
	if err != nil {
		return err
	}
	m := run.Merged
	fmt.Fprintf(e.stderr, "merged %d of %d shards into %s (starts spread over %.3fs)\n", m.Shards, m.Of, *out, m.StartSpreadS)
	ropts := report.Options{Assets: *assets, Stderr: e.stderr}
	outcome, err := report.Finish(*out, ropts)
	if err != nil {
		return err
	}
	if _, err := report.Gate(*out, ropts, e.stdout); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "report: %s/report.html\n", *out)
	return outcomeError(outcome)
}
