package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/report"
)

// cmdMerge merges shard runs into one run, renders its report and exits as
// gate would on the gates the shards were judged by.
func cmdMerge(ctx context.Context, e env, args []string) error {
	fs := newFlags("merge", "--out DIR SHARD_RUN…", "Merges the run directories of the shards of one plan (loadgate run --shard i/N) into\n"+
		"one run in --out, exactly (the HDR histograms add), renders its report and exits as\n"+
		"gate would on the gates the shards were judged by (the scenario's, or the same --gate\n"+
		"flags given to every shard; shards judged by different gates are refused): 0, 1 or 2.")
	out := fs.String("out", "", "the merged run's directory (absent or empty); required")
	partial := fs.Bool("partial", false, "merge even when shards are missing or did not complete; the result is marked partial and cannot pass")
	assets := fs.String("assets", report.AssetsInline, "inline (one file, works offline) or cdn")
	wait := fs.Duration("wait", 0, "wait up to this long for shards not written yet or still running (a merge Job started beside its shards)")
	if err := fs.parse(e, args); err != nil {
		return err
	}
	if fs.NArg() == 0 || *out == "" {
		return fs.argsError("merge: --out and at least one shard run directory (or a directory holding the shard runs)")
	}
	var opts []record.MergeOption
	if *partial {
		opts = append(opts, record.Partial())
	}
	if *wait > 0 {
		fmt.Fprintf(e.stderr, "merge: waiting up to %s for every shard to finish\n", *wait)
		opts = append(opts, record.WaitFor(*wait, 0))
	}
	run, tl, err := record.Merge(ctx, fs.Args(), *out, opts...)
	if err != nil {
		return err
	}
	// Timeline first, then run.json, as a run writes them: a run.json found
	// means the rest of the run directory is there.
	if err := record.WriteJSON(filepath.Join(*out, record.TimelineFile), tl); err != nil {
		return err
	}
	if err := record.WriteJSON(filepath.Join(*out, record.RunFile), run); err != nil {
		return err
	}
	if record.IsResultsRoot(filepath.Dir(*out)) {
		if err := record.LinkLatest(*out); err != nil {
			return err
		}
	}
	m := run.Merged
	fmt.Fprintf(e.stderr, "merged %d of %d shards into %s (starts spread over %.3fs)\n", m.Shards, m.Of, *out, m.StartSpreadS)
	ropts := report.Options{Assets: *assets, Stderr: e.stderr}
	fopts := ropts
	if m.Gates != nil {
		// The shards were judged by --gate in place of the scenario's gates:
		// so is their merge. The table then prints that recorded verdict.
		fopts.Gates = m.Gates
	}
	outcome, err := report.Finish(*out, fopts)
	if err != nil {
		return err
	}
	if _, err := report.Gate(*out, ropts, e.stdout); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "report: %s/report.html\n", *out)
	return outcomeError(outcome)
}
