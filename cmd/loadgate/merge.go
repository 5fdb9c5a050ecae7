package main

import (
	"context"

	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/trial"
)

// cmdMerge merges shard runs into one run, renders its report and exits as
// gate would on the gates the shards were judged by.
func cmdMerge(ctx context.Context, e env, args []string) error {
	fs := newFlags("merge", "--out DIR SHARD_RUN…", "Merges the run directories of the shards of one plan (loadgate run --shard i/N) into\n"+
		"one run in --out, exactly (the HDR histograms add), renders its report and exits as\n"+
		"gate would on the gates the shards were judged by (the scenario's, or the same --gate\n"+
		"flags given to every shard; shards judged by different gates are refused): 0, 1 or 2.")
	outDir := fs.String("out", "", "the merged run's directory (absent or empty); required")
	partial := fs.Bool("partial", false, "merge even when shards are missing or did not complete; the result is marked partial and cannot pass")
	assets := fs.String("assets", report.AssetsInline, "inline (one file, works offline) or cdn")
	wait := fs.Duration("wait", 0, "wait up to this long for shards not written yet or still running (a merge Job started beside its shards)")
	hist := historyFlag(fs)
	if err := fs.parse(e, args); err != nil {
		return err
	}
	if fs.NArg() == 0 || *outDir == "" {
		return fs.argsError("merge: --out and at least one shard run directory (or a directory holding the shard runs)")
	}
	env := trial.Env{Stdout: e.stdout, Stderr: e.stderr, Getenv: e.getenv, Version: version}
	// The merged run's results root is the directory holding --out.
	if rec := recorder(ctx, e, historyURL(*hist, e, resultsRootOf(*outDir)), nil); rec != nil {
		env.History = rec
		defer closeRecorder(e, rec)
	}
	out, err := trial.Merge(ctx, env,
		trial.MergePlan{Dirs: fs.Args(), Out: *outDir, Partial: *partial, Wait: *wait, Assets: *assets})
	return verdictError(out, err)
}
