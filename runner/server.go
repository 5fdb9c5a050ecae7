package runner

import (
	"fmt"
	"math"
	"time"

	"github.com/loadgate/loadgate/runner/results"
)

// baselineSlack is how long after the end of the warm-up the scrape that
// starts the measured window may land.
const baselineSlack = time.Second

// summarizeServer turns the samples of a run into run.json's server summary,
// measured from the last sample before the measured window to the last one,
// and fills the timeline points' server maps. It returns warnings about
// metrics that could not be read.
func summarizeServer(url string, samples []sample, scrapeErrors int, lastErr error, warmup time.Duration, points []results.Point) (results.Server, []string) {
	srv := results.Server{MetricsURL: url, Scrapes: len(samples), ScrapeErrors: scrapeErrors}
	var warnings []string
	if url == "" {
		return srv, nil
	}
	if scrapeErrors > 0 {
		warnings = append(warnings, fmt.Sprintf("%d of %d scrapes of %s failed (last: %v)", scrapeErrors, scrapeErrors+len(samples), url, lastErr))
	}
	if len(samples) == 0 {
		warnings = append(warnings, fmt.Sprintf("no metrics could be read from %s: server metrics and the cache hit rate are unknown", url))
		return srv, warnings
	}
	baseIdx := 0
	for i, s := range samples {
		if s.at <= warmup+baselineSlack {
			baseIdx = i
		}
	}
	base, last := samples[baseIdx], samples[len(samples)-1]
	switch {
	case !last.cacheSeen:
		warnings = append(warnings, fmt.Sprintf("%s has no %s: the cache hit rate is unknown", url, metricCacheRequests))
	case len(samples) < 2 || !base.cacheSeen:
		warnings = append(warnings, "too few scrapes to measure the cache hit rate over the run")
	default:
		hits, misses := last.hits-base.hits, last.misses-base.misses
		if hits < 0 || misses < 0 {
			warnings = append(warnings, fmt.Sprintf("%s went backwards during the run (target restarted?): the cache hit rate is unknown", metricCacheRequests))
			break
		}
		srv.CacheHits, srv.CacheMisses = &hits, &misses
		if hits+misses > 0 {
			rate := hits / (hits + misses)
			srv.CacheHitRate = &rate
		} else {
			warnings = append(warnings, "the target counted no cache lookups during the measured window: the cache hit rate is unknown")
		}
	}
	if baseIdx < len(samples)-1 { // one scrape measures no window
		warnings = append(warnings, summarizeDB(&srv, base, last)...)
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
	return srv, warnings
}

// summarizeDB fills the DB query time (quantiles of the histogram's bucket
// deltas) and the pool waits of the measured window, from base to last.
// A target without these metrics leaves the fields nil, without a warning:
// they are the reference target's, not every target's.
func summarizeDB(srv *results.Server, base, last sample) []string {
	var warnings []string
	// A histogram vector shows no series before its first observation, so a
	// successful scrape without it counts as zero queries so far.
	if last.dbQuery != nil {
		d, ok := last.dbQuery.sub(base.dbQuery)
		switch {
		case !ok:
			warnings = append(warnings, fmt.Sprintf("%s went backwards during the run (target restarted?): the DB query time is unknown", metricDBQuery))
		case d.total() > 0:
			n := d.total()
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
		default:
			zero := 0.0
			srv.DBQueries = &zero
		}
	}
	dst := [numCounters]**float64{&srv.DBPoolWaitSeconds, &srv.DBPoolEmptyAcquires}
	for i, name := range counterMetrics {
		if !last.counterSeen[i] || !base.counterSeen[i] {
			continue
		}
		v := last.counters[i] - base.counters[i]
		if v < 0 {
			warnings = append(warnings, fmt.Sprintf("%s went backwards during the run (target restarted?)", name))
			continue
		}
		*dst[i] = &v
	}
	return warnings
}

func maxPtr(p *float64, v float64) *float64 {
	if p == nil || v > *p {
		return &v
	}
	return p
}

// fillTimeline puts each sample into the point of the second it landed in:
// gauges as read, cache counters as deltas since the previous sample.
func fillTimeline(samples []sample, points []results.Point) {
	if len(points) == 0 {
		return
	}
	dbByPoint := map[int]*histogram{}
	for i, s := range samples {
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
		if i == 0 {
			continue
		}
		prev := samples[i-1]
		if s.dbQuery != nil {
			if d, ok := s.dbQuery.sub(prev.dbQuery); ok {
				if acc := dbByPoint[idx]; acc != nil {
					acc.add(d)
				} else {
					dbByPoint[idx] = d
				}
			}
		}
		for c, key := range counterKeys {
			if s.counterSeen[c] && prev.counterSeen[c] && s.counters[c] >= prev.counters[c] {
				p.Server[key] += (s.counters[c] - prev.counters[c]) * counterScale[c]
			}
		}
		if !s.cacheSeen || !prev.cacheSeen {
			continue
		}
		hits := s.hits - samples[i-1].hits
		misses := s.misses - samples[i-1].misses
		if hits < 0 || misses < 0 {
			continue
		}
		p.Server["cache_hits"] += hits
		p.Server["cache_misses"] += misses
		if h, m := p.Server["cache_hits"], p.Server["cache_misses"]; h+m > 0 {
			p.Server["cache_hit_rate"] = h / (h + m)
		}
	}
	for idx, d := range dbByPoint {
		p := &points[idx]
		p.Server["db_queries"] = d.total()
		if v := d.quantile(0.95); !math.IsNaN(v) {
			p.Server["db_query_p95_ms"] = v * 1000
		}
	}
}

// Timeline keys of the pool-wait counters' per-interval deltas, and the
// factor from the metric's unit (seconds of waiting become milliseconds).
var (
	counterKeys  = [numCounters]string{"db_pool_wait_ms", "db_pool_empty_acquires"}
	counterScale = [numCounters]float64{1000, 1}
)
