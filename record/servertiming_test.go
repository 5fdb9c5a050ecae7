package record

import (
	"fmt"
	"testing"
)

// TestMergeServerTiming: means weighted by counts, whatever the order.
func TestMergeServerTiming(t *testing.T) {
	t.Parallel()
	a := map[string]float64{"cache_hit_rate": 0.9, ServerTimingPrefix + "db": 2, ServerTimingCountPrefix + "db": 3}
	b := map[string]float64{ServerTimingPrefix + "db": 6, ServerTimingCountPrefix + "db": 1, ServerTimingPrefix + "llm": 100, ServerTimingCountPrefix + "llm": 2}
	mergeServerTiming(a, b)
	want := map[string]float64{"cache_hit_rate": 0.9, ServerTimingPrefix + "db": 3, ServerTimingCountPrefix + "db": 4,
		ServerTimingPrefix + "llm": 100, ServerTimingCountPrefix + "llm": 2}
	if fmt.Sprint(a) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", a, want)
	}
}
