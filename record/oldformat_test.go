package record

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oldRunJSON is run.json as loadgate wrote it before named series: the
// reference target's figures in fixed fields of server.
const oldRunJSON = `{"schema": 1, "id": "old", "scenario": "steady", "status": "completed",
 "plan": {"model": "open", "stages": [], "requests": [], "gates": ["cache_hit_rate > 60%", "db_p95 < 5ms"]},
 "overall": {"requests": 10, "successes": 10}, "endpoints": {}, "gates": [],
 "server": {"metrics_url": "http://127.0.0.1:8080/metrics", "cache_hits": 80, "cache_misses": 20, "cache_hit_rate": 0.8,
  "rss_bytes_max": 52428800, "goroutines_max": 40, "db_queries": 500, "db_query_mean_seconds": 0.001,
  "db_query_p50_seconds": 0.0008, "db_query_p95_seconds": 0.003, "db_query_p99_seconds": 0.009,
  "db_pool_wait_seconds": 0.5, "scrapes": 7,
  "series": {"increase(orders_total)": 3}}}`

// TestReadOldFormat reads run.json, timeline.json and capacity.json
// written before named series: their fixed fields become the series the
// built-in scenarios declare.
func TestReadOldFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(RunFile, oldRunJSON)
	write(TimelineFile, `{"schema": 1, "interval_s": 1, "points": [{"t": 0}, {"t": 1, "server": {"cache_hit_rate": 0.75, "db_query_p95_ms": 4,
		"db_pool_wait_ms": 250, "goroutines": 38, "rss_bytes": 1000, "server_timing_db": 2, "count_server_timing_db": 3}}]}`)
	write(CapacityFile, `{"schema": 1, "scenario": "steady", "steps": [{"level": 10, "cache_hit_rate": 0.9}, {"level": 20}]}`)

	run, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"cache_hit_rate": 0.8, HarnessRSS: 52428800, "goroutines": 40, "db_queries": 500, "db_mean": 0.001,
		"db_p50": 0.0008, "db_p95": 0.003, "db_p99": 0.009, "db_pool_wait": 0.5, "increase(orders_total)": 3}
	for k, v := range want {
		if got, ok := run.Server.Series[k]; !ok || got != v {
			t.Errorf("server.series[%s] = %v (%v), want %v", k, got, ok, v)
		}
	}
	if len(run.Server.Series) != len(want) {
		t.Errorf("server.series %v, want %v", run.Server.Series, want)
	}
	if why := run.Server.SeriesNotes["db_pool_empty_acquires"]; !strings.Contains(why, "older loadgate") {
		t.Errorf("a series the old file lacks: %q", why)
	}
	names := map[string]Series{}
	for _, s := range run.Plan.Series {
		names[s.Name] = s
	}
	if s := names["cache_hit_rate"]; s.Unit != UnitRatio || !s.Headline || s.Over == nil {
		t.Errorf("cache_hit_rate declared as %+v", s)
	}
	if s := names["db_p95"]; s.Unit != UnitSeconds || s.Query.Agg != AggQuantile || s.Query.Q != 0.95 {
		t.Errorf("db_p95 declared as %+v", s)
	}
	if len(run.Plan.Charts) != 3 {
		t.Errorf("charts %+v, want the three the report drew", run.Plan.Charts)
	}

	tl, err := ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := tl.Points[1].Server
	for k, v := range map[string]float64{"cache_hit_rate": 0.75, "db_p95": 0.004, "db_pool_wait": 0.25, "goroutines": 38, HarnessRSS: 1000, ServerTimingPrefix + "db": 2} {
		if srv[k] != v {
			t.Errorf("timeline %s = %v, want %v (%v)", k, srv[k], v, srv)
		}
	}
	if _, ok := srv["db_query_p95_ms"]; ok {
		t.Errorf("the old key stays: %v", srv)
	}

	c, err := ReadCapacity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Steps[0].Series["cache_hit_rate"] != 0.9 || c.Steps[1].Series != nil || len(c.Series) == 0 {
		t.Errorf("capacity %+v", c)
	}
}

// TestReadNewFormatUntouched: a run that declares its series, or scraped
// nothing, is read as written.
func TestReadNewFormatUntouched(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"schema": 1, "id": "new", "plan": {"series": [{"name": "hits", "expr": "increase(hits_total)", "unit": "count", "query": {"agg": "increase", "metric": "hits_total"}}]},
		  "server": {"metrics_url": "http://x/metrics", "cache_hit_rate": 0.5, "series": {"hits": 4}}}`,
		`{"schema": 1, "id": "unscraped", "server": {"scrapes": 0}}`,
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, RunFile), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		run, err := ReadRun(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := run.Server.Series["cache_hit_rate"]; ok || len(run.Plan.Series) > 1 {
			t.Errorf("%s: read as old: %+v", run.ID, run.Plan.Series)
		}
	}
}
