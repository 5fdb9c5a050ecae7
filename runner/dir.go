package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/loadgate/loadgate/record"
)

// runID names a run: "<UTC yyyymmdd-hhmmss>-<scenario>", with the shard
// when there is one.
func runID(started time.Time, scenario, shard string) string {
	id := record.DirTime(started) + "-" + scenario
	if shard != "" {
		var i, n int
		if _, err := fmt.Sscanf(shard, "%d/%d", &i, &n); err == nil {
			id += fmt.Sprintf("-shard%dof%d", i, n)
		}
	}
	return id
}

// makeRunDir creates the run directory: out when given (it must be absent
// or empty), else root/id, with a numeric suffix when that already exists.
func makeRunDir(root, out, id string) (string, error) {
	if out != "" {
		entries, err := os.ReadDir(out)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if err := os.MkdirAll(out, 0o755); err != nil {
				return "", fmt.Errorf("creating run directory: %w", err)
			}
		case err != nil:
			return "", fmt.Errorf("run directory %s: %w", out, err)
		case len(entries) > 0:
			return "", fmt.Errorf("run directory %s is not empty", out)
		}
		return out, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("creating results root: %w", err)
	}
	for n := 1; ; n++ {
		dir := filepath.Join(root, id)
		if n > 1 {
			dir = fmt.Sprintf("%s-%d", dir, n)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("creating run directory: %w", err)
		}
	}
}

// linkLatest points <parent of dir>/latest at dir, replacing the old link
// atomically (a new link renamed over it).
func linkLatest(dir string) error {
	parent := filepath.Dir(dir)
	link := filepath.Join(parent, record.LatestLink)
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

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

// hasLatest reports whether dir holds a latest link (it is a results root).
func hasLatest(dir string) bool {
	fi, err := os.Lstat(filepath.Join(dir, record.LatestLink))
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}
