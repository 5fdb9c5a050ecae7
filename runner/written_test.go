package runner

import (
	"context"
	"path/filepath"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// runWritten is Run followed by what the owner of a run (package trial)
// writes: timeline.json, then run.json, into the run directory, so that a
// test can read the directory as a report would. It returns the run as
// written and the directory.
func runWritten(ctx context.Context, sc *scenarios.Scenario, opts ...Option) (*record.Run, string, error) {
	res, err := Run(ctx, sc, opts...)
	if res == nil {
		return nil, "", err
	}
	if err != nil {
		return nil, res.Dir, err
	}
	if err := writeRunFiles(res.Dir, res.Run, res.Timeline); err != nil {
		return nil, res.Dir, err
	}
	return res.Run, res.Dir, nil
}

// writeRunFiles writes timeline.json, then run.json, into dir.
func writeRunFiles(dir string, run *record.Run, tl *record.Timeline) error {
	if err := record.WriteJSON(filepath.Join(dir, record.TimelineFile), tl); err != nil {
		return err
	}
	return record.WriteJSON(filepath.Join(dir, record.RunFile), run)
}
