package runner

import (
	"fmt"
	"math"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// baselineSlack is how long after the end of the warm-up the scrape that
// starts the measured window may land.
const baselineSlack = time.Second

// summarizeServer turns the samples of a run into run.json's server summary
// and fills the timeline points' server maps. Every figure over the measured
// window is the sum of the samples' reset-aware increases from the scrape
// that starts the window to the last one, so it is also the sum of what the
// timeline shows for those scrapes. failed are when the failed scrapes
// began. It returns warnings (metrics that could not be read, restarts of
// the target) and what was expected: a restart, and the scrapes that
// failed, while a drill of the scenario (down) had the target down.
func summarizeServer(url string, samples []sample, failed []time.Duration, lastErr error, warmup time.Duration, points []record.Point, down []downWindow) (srv record.Server, warnings, expected []string) {
	srv = record.Server{MetricsURL: url, Scrapes: len(samples), ScrapeErrors: len(failed)}
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
		total := len(failed) + len(samples)
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
	if len(samples) == 0 {
		warnings = append(warnings, fmt.Sprintf("no metrics could be read from %s: server metrics and the cache hit rate are unknown", url))
		return srv, warnings, expected
	}
	for _, s := range samples {
		if s.restart == "" {
			continue
		}
		r := record.Restart{AfterS: s.since.Seconds(), BeforeS: s.at.Seconds(), Sign: s.restart}
		srv.Restarts = append(srv.Restarts, r)
		sign := r.Sign + " went backwards" // a list when several did
		if r.Sign == metricStartTime {
			sign = r.Sign + " changed"
		}
		if i := downAt(down, s.since, s.at); i >= 0 {
			expected = append(expected, fmt.Sprintf("the target restarted between %s and %s into the run (%s), as the drill %s made it (%s): expected; its counters are read as starting again from zero",
				roundS(s.since), roundS(s.at), sign, down[i].name, down[i].words()))
			continue
		}
		warnings = append(warnings, fmt.Sprintf("the target restarted between %s and %s into the run (%s): its counters are read as starting again from zero, as Prometheus's increase() does; what it counted after the scrape at %[1]s and before the restart is lost",
			roundS(s.since), roundS(s.at), sign))
	}
	window := samples[windowStart(samples, warmup)+1:]
	last := samples[len(samples)-1]
	switch {
	case !last.cacheSeen:
		warnings = append(warnings, fmt.Sprintf("%s has no %s: the cache hit rate is unknown", url, metricCacheRequests))
	case len(window) == 0:
		warnings = append(warnings, "too few scrapes to measure the cache hit rate over the run")
	default:
		hits, misses := 0.0, 0.0
		for _, s := range window {
			hits += s.hits
			misses += s.misses
		}
		srv.CacheHits, srv.CacheMisses = &hits, &misses
		if hits+misses > 0 {
			rate := hits / (hits + misses)
			srv.CacheHitRate = &rate
		} else {
			warnings = append(warnings, "the target counted no cache lookups during the measured window: the cache hit rate is unknown")
		}
	}
	if len(window) > 0 { // one scrape measures no window
		summarizeDB(&srv, window)
	}
	for _, s := range samples {
		if s.gaugeSeen[gaugeRSS] {
			srv.RSSBytesMax = maxPtr(srv.RSSBytesMax, s.gauges[gaugeRSS])
		}
		if s.gaugeSeen[gaugeGoroutines] {
			srv.Goroutines = maxPtr(srv.Goroutines, s.gauges[gaugeGoroutines])
		}
	}
	fillTimeline(samples, points)
	return srv, warnings, expected
}

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
	if from, to := roundS(d.start), roundS(d.end); from != to {
		return fmt.Sprintf("from %s to %s", from, to)
	}
	return "at " + roundS(d.start)
}

// downWindows are the windows of the faults that take the target down.
func downWindows(faults []record.Fault, slack time.Duration) []downWindow {
	var out []downWindow
	for _, f := range faults {
		if f.StartS == nil || (f.Action != scenarios.FaultTargetRestart && f.Action != scenarios.FaultTargetKill) {
			continue
		}
		start := time.Duration(*f.StartS * float64(time.Second))
		end := start
		if f.EndS != nil {
			end = time.Duration(*f.EndS * float64(time.Second))
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

// roundS formats a time into the run to a tenth of a second.
func roundS(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }

// windowStart is the index of the sample the measured window is measured
// from: with a warm-up, the scrape taken when it ended (the first at most
// baselineSlack after it), else the last one before its end; without one,
// the baseline scrape before any load.
func windowStart(samples []sample, warmup time.Duration) int {
	base := 0
	for i, s := range samples {
		if s.at < warmup {
			base = i
		}
	}
	if warmup > 0 && base+1 < len(samples) && samples[base+1].at <= warmup+baselineSlack {
		base++
	}
	return base
}

// summarizeDB fills the DB query time (quantiles of the histogram's bucket
// increases) and the pool waits over the window's samples. A target without
// these metrics leaves the fields nil: they are the reference target's, not
// every target's.
func summarizeDB(srv *record.Server, window []sample) {
	last := window[len(window)-1]
	// A histogram vector shows no series before its first observation, so a
	// scrape without it counts as zero queries so far.
	if last.dbQuery != nil {
		var d *histogram
		for _, s := range window {
			d = d.add(s.dbQuery)
		}
		if n := d.total(); n > 0 {
			srv.DBQueries = &n
			mean := d.sum / n
			srv.DBQueryMeanSeconds = &mean
			for _, q := range []struct {
				q   float64
				dst **float64
			}{{0.50, &srv.DBQueryP50Seconds}, {0.95, &srv.DBQueryP95Seconds}, {0.99, &srv.DBQueryP99Seconds}} {
				if v := d.quantile(q.q); !math.IsNaN(v) {
					*q.dst = &v
				}
			}
		} else {
			zero := 0.0
			srv.DBQueries = &zero
		}
	}
	dst := [numCounters]**float64{&srv.DBPoolWaitSeconds, &srv.DBPoolEmptyAcquires}
	for i := range counterMetrics {
		if !last.counterSeen[i] {
			continue
		}
		v := 0.0
		for _, s := range window {
			v += s.counters[i]
		}
		*dst[i] = &v
	}
}

func maxPtr(p *float64, v float64) *float64 {
	if p == nil || v > *p {
		return &v
	}
	return p
}

// fillTimeline puts each sample into the point of the second it landed in:
// gauges as read; the increases since the previous scrape (cache lookups,
// DB queries, pool waits, restarts) added up.
func fillTimeline(samples []sample, points []record.Point) {
	if len(points) == 0 {
		return
	}
	dbByPoint := map[int]*histogram{}
	for _, s := range samples {
		idx := int(s.at / time.Second)
		if idx >= len(points) {
			idx = len(points) - 1
		}
		if idx < 0 {
			idx = 0
		}
		p := &points[idx]
		if p.Server == nil {
			p.Server = map[string]float64{}
		}
		for g, key := range gaugeKeys {
			if s.gaugeSeen[g] {
				p.Server[key] = s.gauges[g]
			}
		}
		if s.first {
			continue
		}
		if s.restart != "" {
			p.Server[record.ServerRestarts]++
		}
		if s.dbQuery != nil {
			dbByPoint[idx] = dbByPoint[idx].add(s.dbQuery)
		}
		for c, key := range counterKeys {
			if s.counterSeen[c] {
				p.Server[key] += s.counters[c] * counterScale[c]
			}
		}
		if !s.cacheSeen {
			continue
		}
		p.Server[record.ServerCacheHits] += s.hits
		p.Server[record.ServerCacheMisses] += s.misses
		if h, m := p.Server[record.ServerCacheHits], p.Server[record.ServerCacheMisses]; h+m > 0 {
			p.Server[record.ServerCacheHitRate] = h / (h + m)
		}
	}
	for idx, d := range dbByPoint {
		p := &points[idx]
		p.Server[record.ServerDBQueries] = d.total()
		if v := d.quantile(0.95); !math.IsNaN(v) {
			p.Server[record.ServerDBQueryP95Ms] = v * 1000
		}
	}
}

// Timeline keys of the pool-wait counters' per-interval deltas, and the
// factor from the metric's unit (seconds of waiting become milliseconds).
var (
	counterKeys  = [numCounters]string{record.ServerDBPoolWaitMs, record.ServerDBPoolEmptyAcquires}
	counterScale = [numCounters]float64{1000, 1}
)
