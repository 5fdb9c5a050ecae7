package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/loadgate/loadgate/record"
)

// serverFacts says what the target's own metrics measured over the window:
// its restarts, each named series of the run (the scenario's, in order,
// or with headlineOnly only its headline series that were measured; then
// the harness's memory), and the Server-Timing split. A declared series
// that could not be measured says why; the harness's is left out then (a
// target need not expose it).
func serverFacts(run *record.Run, headlineOnly bool) []fact {
	srv := &run.Server
	var f []fact
	if v := restartsFact(srv.Restarts); v != "" {
		f = append(f, fact{"target restarts", v})
	}
	var harness []fact
	for _, s := range run.Plan.Series {
		v, ok := seriesValue(run, s)
		h := isHarness(s.Name)
		switch {
		case h && ok:
			harness = append(harness, fact{"target memory", v + " peak RSS"})
		case !h && (!headlineOnly || s.Headline && ok):
			f = append(f, fact{s.Label(), v})
		}
	}
	if v := serverTimingFact(srv.ServerTiming); v != "" {
		f = append(f, fact{"Server-Timing split", v})
	}
	return append(f, harness...)
}

// seriesValue is a named series' value over the run's window, formatted in
// its unit, or, when it could not be measured, why (ok false).
func seriesValue(run *record.Run, s record.Series) (v string, ok bool) {
	if x, ok := run.Server.Series[s.Name]; ok {
		return s.Format(x), true
	}
	if why := run.Server.SeriesNotes[s.Name]; why != "" {
		return "not measured: " + why, false
	}
	return "not measured", false
}

func isHarness(name string) bool {
	for _, h := range record.HarnessSeries() {
		if h.Name == name {
			return true
		}
	}
	return false
}

// seriesFigure is one named series of a run as a page shows it.
type seriesFigure struct {
	// Name is the series' name (what a gate names), Title its label.
	Name, Title string
	// Value is formatted in its unit; "—" when it was not measured, and
	// then Why says why.
	Value, Why string
	Measured   bool
}

// headlineSeries are the run's headline series (metrics.series with
// headline: true: the cache hit rate and the DB query P95 of the built-in
// scenarios), in the scenario's order, each with its value over the
// measured window: what a page's key figures may show beside the load's.
func headlineSeries(run *record.Run) []seriesFigure {
	var out []seriesFigure
	for _, s := range run.Plan.Series {
		if !s.Headline {
			continue
		}
		f := seriesFigure{Name: s.Name, Title: s.Label(), Value: "—"}
		if x, ok := run.Server.Series[s.Name]; ok {
			f.Value, f.Measured = s.Format(x), true
		} else {
			f.Why = run.Server.SeriesNotes[s.Name]
		}
		out = append(out, f)
	}
	return out
}

// restartsFact is "1, between 2s and 3s (loadgate_cache_requests_total
// went backwards); counters read as starting again from zero", or "" when
// the target did not restart.
func restartsFact(rs []record.Restart) string {
	if len(rs) == 0 {
		return ""
	}
	tenth := func(s float64) string {
		return time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond).String()
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		sign := r.Sign + " went backwards"
		if r.Sign == metricStartTime {
			sign = r.Sign + " changed"
		}
		parts[i] = fmt.Sprintf("between %s and %s (%s)", tenth(r.AfterS), tenth(r.BeforeS), sign)
	}
	return fmt.Sprintf("%d, %s; counters read as starting again from zero", len(rs), strings.Join(parts, "; "))
}

// metricStartTime is the process collector's start time: a restart's sign
// when it changed.
const metricStartTime = "process_start_time_seconds"
