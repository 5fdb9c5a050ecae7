package trial

import (
	"fmt"
	"os"
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
// directory elsewhere, given as --out, or an empty root leaves it alone),
// replacing the old link atomically (a new link renamed over it).
func linkLatest(root, dir string) error {
	if root == "" || !sameDir(filepath.Dir(dir), root) {
		return nil
	}
	link := filepath.Join(root, record.LatestLink)
	if fi, err := os.Lstat(link); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("not linking %s: it exists and is not a symlink", link)
	}
	tmp := filepath.Join(root, fmt.Sprintf(".latest-%d", os.Getpid()))
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Base(dir), tmp); err != nil {
		return fmt.Errorf("linking %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("linking %s: %w", link, err)
	}
	return nil
}

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}
