package results

import "time"

// DirTimeFormat starts the name of every directory loadgate creates under
// the results root, in UTC: <time>-<scenario> (a run),
// <time>-compare-<scenario>, <time>-<scenario>-capacity.
const DirTimeFormat = "20060102-150405"

// DirTime formats t (in UTC) as a results directory's name begins.
func DirTime(t time.Time) string { return t.UTC().Format(DirTimeFormat) }
