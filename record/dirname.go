package record

import (
	"path/filepath"
	"time"
)

// DirTimeFormat starts the name of every directory loadgate creates under
// the results root, in UTC: <time>-<scenario> (a run),
// <time>-compare-<scenario>, <time>-<scenario>-capacity.
const DirTimeFormat = "20060102-150405"

// DirTime formats t (in UTC) as a results directory's name begins.
func DirTime(t time.Time) string { return t.UTC().Format(DirTimeFormat) }

// CompareDir is the directory of a comparison of the scenario's runs (loadgate
// compare) begun at t: root/<time>-compare-<scenario>.
func CompareDir(root, scenario string, t time.Time) string {
	return filepath.Join(root, DirTime(t)+"-compare-"+scenario)
}
