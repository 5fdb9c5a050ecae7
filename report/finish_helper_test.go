package report

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/runner"
	"github.com/loadgate/loadgate/scenarios"
)

// finish does to a run directory what the owner of a run (package trial)
// does after the runner: Judge, write run.json, Render; opts' Gates and
// Baseline go to Judge only.
func finish(dir string, opts Options) (record.Outcome, error) {
	run, err := record.ReadRun(dir)
	if err != nil {
		return record.Outcome{Verdict: record.VerdictUnknown}, err
	}
	tl, err := record.ReadTimeline(dir)
	if errors.Is(err, record.ErrMissing) {
		tl, err = nil, nil
	}
	if err != nil {
		return record.Outcome{Verdict: record.VerdictUnknown}, err
	}
	out, err := Judge(dir, run, tl, opts)
	if err != nil {
		return out, err
	}
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		return out, err
	}
	ropts := opts
	ropts.Gates, ropts.Baseline, ropts.MaxRegression, ropts.Baselines = nil, "", nil, nil
	if _, err := Render(dir, ropts); err != nil {
		return out, err
	}
	return out, nil
}

// runToDir is runner.Run followed by writing the run's timeline.json and
// run.json, as the owner of a run does before judging it.
func runToDir(ctx context.Context, sc *scenarios.Scenario, opts ...runner.Option) (*record.Run, string, error) {
	res, err := runner.Run(ctx, sc, opts...)
	if err != nil {
		return nil, "", err
	}
	if err := record.WriteJSON(filepath.Join(res.Dir, record.TimelineFile), res.Timeline); err != nil {
		return nil, "", err
	}
	return res.Run, res.Dir, record.WriteJSON(filepath.Join(res.Dir, record.RunFile), res.Run)
}

// finishRealRun parses src as the scenario file name, runs it with the
// real runner and finishes its directory as the owner of a run does
// (runToDir, then finish with the CDN and stderr kept quiet).
func finishRealRun(t *testing.T, src, name string) (*record.Run, string, record.Outcome) {
	t.Helper()
	sc, err := scenarios.Parse([]byte(src), name, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run, dir, err := runToDir(context.Background(), sc, runner.WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	out, err := finish(dir, Options{Assets: AssetsCDN, Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	return run, dir, out
}
