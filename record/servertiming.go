package record

import "strings"

// ServerTimingSummary is the Server-Timing split of the measured (not
// warm-up) points of a timeline: per name, the mean weighted by each
// interval's count (Point.Server's ServerTimingPrefix and
// ServerTimingCountPrefix keys). The runner and Merge put it in run.json's
// server.server_timing.
func ServerTimingSummary(points []Point) map[string]Timing {
	var m map[string]Timing
	for _, p := range points {
		if p.Warmup {
			continue
		}
		for k, n := range p.Server {
			name, ok := strings.CutPrefix(k, ServerTimingCountPrefix)
			if !ok || n <= 0 {
				continue
			}
			if m == nil {
				m = map[string]Timing{}
			}
			t := m[name]
			total := float64(t.Count) + n
			t.MeanMS = (t.MeanMS*float64(t.Count) + p.Server[ServerTimingPrefix+name]*n) / total
			t.Count = int64(total)
			m[name] = t
		}
	}
	return m
}

// mergeServerTiming adds the Server-Timing entries of src into dst (both a
// timeline point's server map): means weighted by their counts.
func mergeServerTiming(dst, src map[string]float64) {
	for k, n := range src {
		name, ok := strings.CutPrefix(k, ServerTimingCountPrefix)
		if !ok || n <= 0 {
			continue
		}
		mk, ck := ServerTimingPrefix+name, k
		total := dst[ck] + n
		dst[mk] = (dst[mk]*dst[ck] + src[mk]*n) / total
		dst[ck] = total
	}
}
