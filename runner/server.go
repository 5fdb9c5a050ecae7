package runner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// summarizeServer turns the scrapes of a run into run.json's server summary
// and fills the timeline points' server maps: the named series and inline
// queries of ts measured over the measured window and per interval
// (record.MeasureWindow, record.FillPoints), so that a counter's figure
// over the window is also the sum of what the timeline shows for its
// scrapes. failed are when the failed scrapes began. It returns warnings
// (scrapes that failed, restarts of the target) and what was expected: a
// restart, and the scrapes that failed, while a drill of the scenario
// (down) had the target down.
func summarizeServer(url string, ts *targetSeries, scrapes []record.Scrape, failed []time.Duration, lastErr error, warmup time.Duration, points []record.Point, down []downWindow) (srv record.Server, warnings, expected []string) {
	srv = record.Server{MetricsURL: url, Scrapes: len(scrapes), ScrapeErrors: len(failed)}
	if url == "" {
		return srv, nil, nil
	}
	if len(failed) > 0 {
		byDrill := make([]int, len(down)) // failed scrapes by drill window
		unexpected := 0
		for _, at := range failed {
			if i := downAt(down, at, at); i >= 0 {
				byDrill[i]++
			} else {
				unexpected++
			}
		}
		total := len(failed) + len(scrapes)
		for i, n := range byDrill {
			if n > 0 {
				expected = append(expected, fmt.Sprintf("%d of %d scrapes of %s failed while the drill %s had the target down (%s): expected",
					n, total, url, down[i].name, down[i].words()))
			}
		}
		if unexpected > 0 {
			warnings = append(warnings, fmt.Sprintf("%d of %d scrapes of %s failed (last: %v)", unexpected, total, url, lastErr))
		}
	}
	if len(scrapes) == 0 {
		warnings = append(warnings, fmt.Sprintf("no metrics could be read from %s: the target's series are unknown", url))
	}
	srv.Restarts = record.RestartsOf(scrapes)
	for _, r := range srv.Restarts {
		sign := r.Sign + " went backwards" // a list when several did
		if r.Sign == metricStartTime {
			sign = r.Sign + " changed"
		}
		if i := downAt(down, seconds(r.AfterS), seconds(r.BeforeS)); i >= 0 {
			expected = append(expected, fmt.Sprintf("the target restarted between %s and %s into the run (%s), as the drill %s made it (%s): expected; its counters are read as starting again from zero",
				roundS(r.AfterS), roundS(r.BeforeS), sign, down[i].name, down[i].words()))
			continue
		}
		warnings = append(warnings, fmt.Sprintf("the target restarted between %s and %s into the run (%s): its counters are read as starting again from zero, as Prometheus's increase() does; what it counted after the scrape at %[1]s and before the restart is lost",
			roundS(r.AfterS), roundS(r.BeforeS), sign))
	}
	if len(scrapes) > 0 {
		if w := ts.neverExposed(scrapes); w != "" {
			warnings = append(warnings, fmt.Sprintf("%s never exposed %s: check the metric names of metrics.series", url, w))
		}
	}
	ts.measure(&srv, scrapes, warmup.Seconds())
	record.FillPoints(points, scrapes, ts.named)
	return srv, warnings, expected
}

// seconds is s seconds as a duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// downWindow is when a drill of the scenario had the target down (a
// target_restart or target_kill, from its injection to its end), widened by
// a scrape interval each side: a scrape under way when the target went down,
// or one the moment it came back, fails because of the drill too.
type downWindow struct {
	name       string
	start, end time.Duration // the drill's own window
	slack      time.Duration
}

func (d *downWindow) words() string {
	if from, to := roundS(d.start.Seconds()), roundS(d.end.Seconds()); from != to {
		return fmt.Sprintf("from %s to %s", from, to)
	}
	return "at " + roundS(d.start.Seconds())
}

// downWindows are the windows of the faults that take the target down.
func downWindows(faults []record.Fault, slack time.Duration) []downWindow {
	var out []downWindow
	for _, f := range faults {
		if f.StartS == nil || (f.Action != scenarios.FaultTargetRestart && f.Action != scenarios.FaultTargetKill) {
			continue
		}
		start := seconds(*f.StartS)
		end := start
		if f.EndS != nil {
			end = seconds(*f.EndS)
		}
		out = append(out, downWindow{name: f.Name, start: start, end: end, slack: slack})
	}
	return out
}

// downAt is the index of the drill window that [from, to] overlaps, or -1.
func downAt(down []downWindow, from, to time.Duration) int {
	for i, d := range down {
		if to >= d.start-d.slack && from <= d.end+d.slack {
			return i
		}
	}
	return -1
}

// roundS formats a time into the run, in seconds, to a tenth of a second.
func roundS(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond).String()
}

// neverExposed lists the selectors the scenario's series read that no
// scrape found, each with the series that read it ("" when none): most
// likely a misspelt metric or label. The harness's own series are left
// out: a target need not expose them.
func (ts *targetSeries) neverExposed(scrapes []record.Scrape) string {
	harness := map[string]bool{}
	for _, h := range record.HarnessSeries() {
		harness[h.Name] = true
	}
	readers := map[string][]string{}
	note := func(who string, q record.SeriesQuery) {
		k := q.Selector()
		if !slices.Contains(readers[k], who) {
			readers[k] = append(readers[k], who)
		}
	}
	for _, s := range ts.named {
		if harness[s.Name] {
			continue
		}
		note(s.Name, s.Query)
		if s.Over != nil {
			note(s.Name, *s.Over)
		}
	}
	for _, q := range ts.queries {
		note(q.Key(), q)
	}
	var missing []string
	for _, sel := range ts.sels {
		who := readers[sel.key]
		if len(who) == 0 || seenIn(scrapes, sel.key) {
			continue
		}
		missing = append(missing, fmt.Sprintf("%s (read by %s)", sel.key, strings.Join(who, ", ")))
	}
	return strings.Join(missing, "; ")
}

func seenIn(scrapes []record.Scrape, key string) bool {
	for _, s := range scrapes {
		_, inc := s.Increases[key]
		_, g := s.Gauges[key]
		_, b := s.Buckets[key]
		if inc || g || b {
			return true
		}
	}
	return false
}
