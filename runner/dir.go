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

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}
