package record

// The reading of the old format. Before named series, run.json's server
// summary, the timeline's server maps and capacity.json's steps held the
// reference target's figures in fixed fields (cache_hit_rate,
// db_query_p95_seconds, db_query_p95_ms, …). Such files are still read:
// their fields become the named series the built-in scenarios declare
// under the same meaning (OldSeries), so that gates, reports and
// comparisons read them as they read a new run of a built-in scenario.
// This file is the one place that knows the old fields.

// OldSeries are the named series an old file's fixed fields are read as,
// with the charts the report drew of them: the reference target's series
// as the built-in scenarios declare them (a test in package scenarios
// holds the two alike).
func OldSeries() ([]Series, []Chart) {
	q := func(agg, metric string, ms ...Matcher) SeriesQuery {
		return SeriesQuery{Agg: agg, Metric: metric, Matchers: ms}
	}
	quantile := func(level float64) SeriesQuery {
		return SeriesQuery{Agg: AggQuantile, Q: level, Metric: "loadgate_db_query_duration_seconds"}
	}
	over := func(s SeriesQuery) *SeriesQuery { return &s }
	series := []Series{
		{Name: "cache_hit_rate", Title: "cache hit rate", Unit: UnitRatio, Headline: true, Better: BetterHigher,
			Expr:  `ratio(increase(loadgate_cache_requests_total{result="hit"}), increase(loadgate_cache_requests_total{result=~"hit|miss"}))`,
			Query: q(AggIncrease, "loadgate_cache_requests_total", Matcher{Label: "result", Op: "=", Value: "hit"}),
			Over:  over(q(AggIncrease, "loadgate_cache_requests_total", Matcher{Label: "result", Op: "=~", Value: "hit|miss"}))},
		{Name: "db_queries", Title: "DB queries", Unit: UnitCount,
			Expr:  `increase(loadgate_db_query_duration_seconds_count)`,
			Query: q(AggIncrease, "loadgate_db_query_duration_seconds_count")},
		{Name: "db_mean", Better: BetterLower, Title: "DB query mean", Unit: UnitSeconds,
			Expr:  `ratio(increase(loadgate_db_query_duration_seconds_sum), increase(loadgate_db_query_duration_seconds_count))`,
			Query: q(AggIncrease, "loadgate_db_query_duration_seconds_sum"),
			Over:  over(q(AggIncrease, "loadgate_db_query_duration_seconds_count"))},
		{Name: "db_p50", Better: BetterLower, Title: "DB query P50", Unit: UnitSeconds,
			Expr: `quantile(0.5, loadgate_db_query_duration_seconds)`, Query: quantile(0.5)},
		{Name: "db_p95", Title: "DB query P95", Unit: UnitSeconds, Headline: true, Better: BetterLower,
			Expr: `quantile(0.95, loadgate_db_query_duration_seconds)`, Query: quantile(0.95)},
		{Name: "db_p99", Better: BetterLower, Title: "DB query P99", Unit: UnitSeconds,
			Expr: `quantile(0.99, loadgate_db_query_duration_seconds)`, Query: quantile(0.99)},
		{Name: "db_pool_wait", Better: BetterLower, Title: "DB pool wait", Unit: UnitSeconds,
			Expr:  `increase(loadgate_db_pool_acquire_wait_seconds_total)`,
			Query: q(AggIncrease, "loadgate_db_pool_acquire_wait_seconds_total")},
		{Name: "db_pool_empty_acquires", Better: BetterLower, Title: "DB pool empty acquires", Unit: UnitCount,
			Expr:  `increase(loadgate_db_pool_empty_acquire_total)`,
			Query: q(AggIncrease, "loadgate_db_pool_empty_acquire_total")},
		{Name: "db_pool_acquired", Title: "DB conns in use", Unit: UnitCount,
			Expr: `max(loadgate_db_pool_acquired_conns)`, Query: q(AggMax, "loadgate_db_pool_acquired_conns")},
		{Name: "db_pool_max", Title: "DB pool max", Unit: UnitCount,
			Expr: `max(loadgate_db_pool_max_conns)`, Query: q(AggMax, "loadgate_db_pool_max_conns")},
		{Name: "goroutines", Title: "goroutines", Unit: UnitCount,
			Expr: `max(go_goroutines)`, Query: q(AggMax, "go_goroutines")},
	}
	charts := []Chart{
		{Title: "Cache hit rate", Series: []string{"cache_hit_rate"}},
		{Title: "Target goroutines and DB pool", Series: []string{"goroutines", "db_pool_acquired", "db_pool_max"}},
		{Title: "Database: query P95 and pool waits", Series: []string{"db_p95", "db_pool_wait"}},
	}
	return series, charts
}

// oldServer is run.json's server summary as it was before named series.
type oldServer struct {
	CacheHitRate        *float64 `json:"cache_hit_rate"`
	RSSBytesMax         *float64 `json:"rss_bytes_max"`
	Goroutines          *float64 `json:"goroutines_max"`
	DBQueries           *float64 `json:"db_queries"`
	DBQueryMeanSeconds  *float64 `json:"db_query_mean_seconds"`
	DBQueryP50Seconds   *float64 `json:"db_query_p50_seconds"`
	DBQueryP95Seconds   *float64 `json:"db_query_p95_seconds"`
	DBQueryP99Seconds   *float64 `json:"db_query_p99_seconds"`
	DBPoolWaitSeconds   *float64 `json:"db_pool_wait_seconds"`
	DBPoolEmptyAcquires *float64 `json:"db_pool_empty_acquires"`
}

// byName maps each old field to the series it is read as.
func (o *oldServer) byName() map[string]*float64 {
	return map[string]*float64{
		"cache_hit_rate": o.CacheHitRate, HarnessRSS: o.RSSBytesMax, "goroutines": o.Goroutines,
		"db_queries": o.DBQueries, "db_mean": o.DBQueryMeanSeconds,
		"db_p50": o.DBQueryP50Seconds, "db_p95": o.DBQueryP95Seconds, "db_p99": o.DBQueryP99Seconds,
		"db_pool_wait": o.DBPoolWaitSeconds, "db_pool_empty_acquires": o.DBPoolEmptyAcquires,
	}
}

// readOldServer reads the old fixed fields of run.json (data, read from
// path) into r, when r was written before named series: a run that
// scraped the target (server.metrics_url) but declares no series. Then its
// plan declares the series of OldSeries (and the harness's), each holding
// the old field's value, or a note that the run has none.
func readOldServer(path string, data []byte, r *Run) error {
	if len(r.Plan.Series) > 0 || r.Server.MetricsURL == "" {
		return nil
	}
	var old struct {
		Server oldServer `json:"server"`
	}
	if err := decodeJSON(path, data, &old); err != nil {
		return err
	}
	series, charts := OldSeries()
	r.Plan.Series = append(HarnessSeries(), series...)
	r.Plan.Charts = charts
	values := old.Server.byName()
	for _, s := range r.Plan.Series {
		if v := values[s.Name]; v != nil {
			if r.Server.Series == nil {
				r.Server.Series = map[string]float64{}
			}
			r.Server.Series[s.Name] = *v
			continue
		}
		if _, ok := r.Server.SeriesNotes[s.Name]; !ok {
			if r.Server.SeriesNotes == nil {
				r.Server.SeriesNotes = map[string]string{}
			}
			r.Server.SeriesNotes[s.Name] = "the target reported no " + s.Label() + " (" + RunFile + " of an older loadgate, read in its old format)"
		}
	}
	return nil
}

// oldTimelineKeys are the old server keys of the timeline that became a
// series of another name or unit: the name, and the factor to its unit.
var oldTimelineKeys = map[string]struct {
	name  string
	scale float64
}{
	"db_query_p95_ms": {"db_p95", 1e-3},
	"db_pool_wait_ms": {"db_pool_wait", 1e-3},
}

// readOldTimeline reads the server maps of a timeline written before named
// series (one without scrapes): the old keys that OldSeries names
// otherwise (db_query_p95_ms, db_pool_wait_ms) become those series. Every
// other old key already has the name and unit of its series.
func readOldTimeline(t *Timeline) {
	if len(t.Scrapes) > 0 {
		return
	}
	for i := range t.Points {
		srv := t.Points[i].Server
		for k, v := range srv {
			if to, ok := oldTimelineKeys[k]; ok {
				delete(srv, k)
				srv[to.name] = v * to.scale
			}
		}
	}
}

// readOldCapacity reads the steps' cache_hit_rate of a capacity.json
// written before named series (data, read from path): the steps' series
// cache_hit_rate, and the search's series those of OldSeries.
func readOldCapacity(path string, data []byte, c *Capacity) error {
	if len(c.Series) > 0 {
		return nil
	}
	var old struct {
		Steps []struct {
			CacheHitRate *float64 `json:"cache_hit_rate"`
		} `json:"steps"`
	}
	if err := decodeJSON(path, data, &old); err != nil {
		return err
	}
	found := false
	for i, s := range old.Steps {
		if s.CacheHitRate != nil && i < len(c.Steps) {
			if c.Steps[i].Series == nil {
				c.Steps[i].Series = map[string]float64{}
			}
			c.Steps[i].Series["cache_hit_rate"] = *s.CacheHitRate
			found = true
		}
	}
	if found {
		c.Series, _ = OldSeries()
	}
	return nil
}
