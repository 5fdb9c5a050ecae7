package runner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loadgate/loadgate/record"
)

// summarizeServer turns the scrapes of a run into run.json's server summary
// and fills the timeline points' server maps: the named series and inline
// queries of ts measured over the measured window and per interval
// (record.MeasureWindow, record.FillPoints), so that a counter's figure
// over the window is also the sum of what the timeline shows for its
// scrapes. It returns warnings: scrapes that failed, restarts of the
// target.
func summarizeServer(url string, ts *targetSeries, scrapes []record.Scrape, scrapeErrors int, lastErr error, warmup time.Duration, points []record.Point) (record.Server, []string) {
	srv := record.Server{MetricsURL: url, Scrapes: len(scrapes), ScrapeErrors: scrapeErrors}
	var warnings []string
	if url == "" {
		return srv, nil
	}
	if scrapeErrors > 0 {
		warnings = append(warnings, fmt.Sprintf("%d of %d scrapes of %s failed (last: %v)", scrapeErrors, scrapeErrors+len(scrapes), url, lastErr))
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
	return srv, warnings
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
