package trial

import (
	"path/filepath"

	"github.com/loadgate/loadgate/record"
)

// writeRun writes a run directory's timeline.json, then its run.json, each
// atomically (a temporary file renamed over it): a run.json that is there
// has its timeline. It is the one place run.json is written.
func writeRun(dir string, run *record.Run, tl *record.Timeline) error {
	if tl != nil {
		if err := record.WriteJSON(filepath.Join(dir, record.TimelineFile), tl); err != nil {
			return err
		}
	}
	return record.WriteJSON(filepath.Join(dir, record.RunFile), run)
}

// writeCheckpoint writes a snapshot of a run under way (status running):
// what a run killed without warning leaves.
func writeCheckpoint(dir string, run *record.Run, tl *record.Timeline) error {
	return writeRun(dir, run, tl)
}

// linkLatest points root's latest link at dir when dir is in root (a
// directory elsewhere, given as --out, or an empty root leaves it alone).
func linkLatest(root, dir string) error {
	if root == "" || !sameDir(filepath.Dir(dir), root) {
		return nil
	}
	return record.LinkLatest(dir)
}

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}
