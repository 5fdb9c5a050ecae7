package trial

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/report"
)

// MergePlan is what `loadgate merge` asks: the shard runs of one plan
// (directories, or directories holding them) and the merged run's
// directory.
type MergePlan struct {
	Dirs []string
	Out  string
	// Partial merges even when shards are missing or did not complete;
	// the result is marked partial and cannot pass.
	Partial bool
	// Wait is how long to wait for shards not written yet or still running.
	Wait time.Duration
	// Assets is how report.html gets ECharts (report.AssetsInline or
	// report.AssetsCDN).
	Assets string
}

// Merge merges the shard runs into one run in m.Out, exactly (the HDR
// histograms add), judges it by the gates the shards were judged by (the
// scenario's, or the same --gate given to every shard), writes its run.json
// and renders its report.
func Merge(ctx context.Context, env Env, m MergePlan) (record.Outcome, error) {
	var opts []record.MergeOption
	if m.Partial {
		opts = append(opts, record.Partial())
	}
	if m.Wait > 0 {
		fmt.Fprintf(env.Stderr, "merge: waiting up to %s for every shard to finish\n", m.Wait)
		opts = append(opts, record.WaitFor(m.Wait, 0))
	}
	run, tl, err := record.Merge(ctx, m.Dirs, m.Out, opts...)
	if err != nil {
		return unknown, err
	}
	mg := run.Merged
	fmt.Fprintf(env.Stderr, "merged %d of %d shards into %s (starts spread over %.3fs)\n", mg.Shards, mg.Of, m.Out, mg.StartSpreadS)
	o := report.Options{Assets: m.Assets, Stderr: env.Stderr}
	if mg.Gates != nil {
		// The shards were judged by --gate in place of the scenario's gates:
		// so is their merge.
		o.Gates = mg.Gates
	}
	root := ""
	if parent := filepath.Dir(m.Out); record.IsResultsRoot(parent) {
		root = parent
	}
	out, err := finish(env, m.Out, run, tl, o, root)
	if err != nil {
		return out, err
	}
	fmt.Fprintf(env.Stderr, "report: %s/report.html\n", m.Out)
	return out, nil
}
