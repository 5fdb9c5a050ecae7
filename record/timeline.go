package record

import "strings"

// Keys of timeline.json's Point.Server that are not named series: what the
// runner read from the target per interval besides them (restarts seen, its
// Server-Timing headers). A named series (Plan.Series) is keyed by its
// name; ReservedSeriesName says which names these keys keep for themselves.
const (
	// ServerRSSBytes is the harness's resident memory series (HarnessRSS),
	// which memory_growth fits.
	ServerRSSBytes = HarnessRSS
	// ServerRestarts counts the target restarts the interval's scrapes saw.
	ServerRestarts = "restarts"

	// The target's Server-Timing split: ServerTimingPrefix+name is the mean
	// duration in milliseconds of that entry over the interval's responses
	// that carried it, and ServerTimingCountPrefix+name is how many
	// responses carried it, so that shards merge exactly (sum of mean×count
	// over the sum of counts). The count key does not start with
	// ServerTimingPrefix: every key that does is a duration the report
	// draws.
	ServerTimingPrefix      = "server_timing_"
	ServerTimingCountPrefix = "count_server_timing_"
)

// ReservedSeriesName says why name cannot name a series a scenario
// declares, or "" when it can: a key the server map keeps for other
// figures, or a harness series.
func ReservedSeriesName(name string) string {
	switch {
	case name == ServerRestarts:
		return "the timeline counts the target's restarts under it"
	case strings.HasPrefix(name, ServerTimingPrefix) || strings.HasPrefix(name, ServerTimingCountPrefix):
		return "the timeline keeps names starting with " + ServerTimingPrefix + " and " + ServerTimingCountPrefix + " for the Server-Timing split"
	}
	for _, h := range HarnessSeries() {
		if name == h.Name {
			return "the harness measures it at every metrics.url (" + h.Expr + ")"
		}
	}
	return ""
}
