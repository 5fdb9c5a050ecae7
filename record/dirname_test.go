package record

import (
	"path/filepath"
	"testing"
	"time"
)

// TestCompareDir: compare's directory is named as every results directory
// is, <UTC yyyymmdd-hhmmss>-…, whatever the zone of the time it is given.
func TestCompareDir(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 21, 28, 41, 0, time.FixedZone("CET", 3600))
	if got, want := CompareDir("results", "checkout", at), filepath.Join("results", "20261130-202841-compare-checkout"); got != want {
		t.Errorf("CompareDir = %s, want %s", got, want)
	}
}
