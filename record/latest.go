package record

import (
	"fmt"
	"os"
	"path/filepath"
)

// LinkLatest points <parent of dir>/latest (LatestLink) at dir, replacing
// the old link atomically (a new link renamed over it). A latest that is
// not a symlink is left alone, and an error.
func LinkLatest(dir string) error {
	parent := filepath.Dir(dir)
	link := filepath.Join(parent, LatestLink)
	if fi, err := os.Lstat(link); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("not linking %s: it exists and is not a symlink", link)
	}
	tmp := filepath.Join(parent, fmt.Sprintf(".latest-%d", os.Getpid()))
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

// IsResultsRoot reports whether dir holds a latest link: it is a results
// root, whose latest link a run written into it (a merged run's --out)
// updates.
func IsResultsRoot(dir string) bool {
	fi, err := os.Lstat(filepath.Join(dir, LatestLink))
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}
