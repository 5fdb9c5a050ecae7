package runner

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// restartingServer is a target whose metrics restart from zero after its
// third scrape (the baseline, then about 1 s and 2 s into the run): before
// the restart every request is a cache miss and a slow (20 ms) DB query,
// after it a hit and a fast (2 ms) one. The restart comes right after a
// scrape, so every count is seen by some scrape; the truth is what the
// server served. The hits after the restart end above the first scrape's
// (zero) and the misses back at it, so the last scrape minus the first says
// 100 % hits.
type restartingServer struct {
	*httptest.Server

	mu               sync.Mutex // guards the fields below
	scrapes          int
	hits, misses     int // since the last restart, as exposed
	slow, fast       int
	empty            int
	servedH, servedM int // the truth: every hit and miss served
	servedQ          int
}

func newRestartingServer(t *testing.T) *restartingServer {
	rs := &restartingServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		defer rs.mu.Unlock()
		switch r.URL.Path {
		case "/health":
		case "/metrics":
			fmt.Fprintln(w, "# TYPE loadgate_cache_requests_total counter")
			fmt.Fprintf(w, "loadgate_cache_requests_total{cache=\"food\",result=\"hit\"} %d\n", rs.hits)
			fmt.Fprintf(w, "loadgate_cache_requests_total{cache=\"food\",result=\"miss\"} %d\n", rs.misses)
			fmt.Fprintln(w, "# TYPE loadgate_db_query_duration_seconds histogram")
			n := rs.slow + rs.fast
			fmt.Fprintf(w, "loadgate_db_query_duration_seconds_bucket{query=\"food\",le=\"0.0025\"} %d\n", rs.fast)
			fmt.Fprintf(w, "loadgate_db_query_duration_seconds_bucket{query=\"food\",le=\"0.025\"} %d\n", n)
			fmt.Fprintf(w, "loadgate_db_query_duration_seconds_bucket{query=\"food\",le=\"+Inf\"} %d\n", n)
			fmt.Fprintf(w, "loadgate_db_query_duration_seconds_sum{query=\"food\"} %g\n", 0.02*float64(rs.slow)+0.002*float64(rs.fast))
			fmt.Fprintf(w, "loadgate_db_query_duration_seconds_count{query=\"food\"} %d\n", n)
			fmt.Fprintf(w, "# TYPE loadgate_db_pool_empty_acquire_total counter\nloadgate_db_pool_empty_acquire_total %d\n", rs.empty)
			rs.scrapes++
			if rs.scrapes == 3 {
				rs.hits, rs.misses, rs.slow, rs.fast, rs.empty = 0, 0, 0, 0, 0
			}
		default:
			if rs.scrapes < 3 {
				rs.misses++
				rs.servedM++
				rs.slow++
			} else {
				rs.hits++
				rs.servedH++
				rs.fast++
			}
			rs.empty++
			rs.servedQ++
		}
	}))
	t.Cleanup(rs.Close)
	return rs
}

// TestScrapeRestart: the target's counters drop to zero mid-run and end
// higher than the first scrape. The server summary is the sum of the
// per-interval increases with the reset handled (Prometheus's increase()):
// it equals what the server served, the timeline's deltas add up to it, and
// the restart is a run fact.
func TestScrapeRestart(t *testing.T) {
	rs := newRestartingServer(t)
	sc := scenarioFor(t, rs.URL, fmt.Sprintf(`load:
  stages: [{duration: 3s, rate: 40/s}]
requests: [{name: a, path: /}]
metrics:
  url: %s/metrics
  interval: 1s
`+testSeriesYAML, rs.URL))
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	rs.mu.Lock()
	hits, misses, queries, scrapes := float64(rs.servedH), float64(rs.servedM), float64(rs.servedQ), rs.scrapes
	rs.mu.Unlock()
	if scrapes < 4 || hits == 0 || misses == 0 {
		t.Fatalf("%d scrapes, %v hits, %v misses: the restart did not happen mid-run", scrapes, hits, misses)
	}
	s := run.Server
	for _, name := range []string{"hits", "misses", "cache_hit_rate", "db_queries", "db_p95", "db_pool_empty_acquires"} {
		if _, ok := s.Series[name]; !ok {
			t.Fatalf("series %s missing: %+v; notes %v, warnings %q", name, s.Series, s.SeriesNotes, run.Warnings)
		}
	}
	if s.Series["hits"] != hits || s.Series["misses"] != misses {
		t.Errorf("summary: %v hits, %v misses; the server served %v and %v", s.Series["hits"], s.Series["misses"], hits, misses)
	}
	if rate, want := s.Series["cache_hit_rate"], hits/(hits+misses); math.Abs(rate-want) > 1e-12 || rate >= 0.6 {
		t.Errorf("cache hit rate %v, want %v (below the 60 %% a first-to-last reading would pass)", rate, want)
	}
	if s.Series["db_queries"] != queries {
		t.Errorf("DB queries %v, the server ran %v", s.Series["db_queries"], queries)
	}
	// Two thirds of the queries were slow: P95 lies in the slow bucket.
	if p95 := s.Series["db_p95"]; p95 <= 0.0025 {
		t.Errorf("DB query P95 %v s, want in (2.5 ms, 25 ms]: the slow queries before the restart count", p95)
	}
	if s.Series["db_pool_empty_acquires"] != queries {
		t.Errorf("empty acquires %v, want %v", s.Series["db_pool_empty_acquires"], queries)
	}

	tl, err := record.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	var th, tm, tq, restarts float64
	for _, p := range tl.Points {
		th += p.Server["hits"]
		tm += p.Server["misses"]
		tq += p.Server["db_queries"]
		restarts += p.Server["restarts"]
	}
	if th != hits || tm != misses || tq != queries {
		t.Errorf("timeline deltas add up to %v hits, %v misses, %v queries; the server served %v, %v, %v", th, tm, tq, hits, misses, queries)
	}
	if restarts != 1 {
		t.Errorf("timeline marks %v restarts, want 1", restarts)
	}
	if len(s.Restarts) != 1 {
		t.Fatalf("run.json restarts %+v, want one", s.Restarts)
	}
	if r := s.Restarts[0]; !(r.AfterS > 1.5 && r.AfterS < r.BeforeS) {
		t.Errorf("restart between %v s and %v s, want after the scrape at about 2 s", r.AfterS, r.BeforeS)
	}
	if !strings.Contains(strings.Join(run.Warnings, "\n"), "restarted") {
		t.Errorf("warnings %q do not say the target restarted", run.Warnings)
	}
}

// fp formats an optional figure.
func fp(p *float64) string {
	if p == nil {
		return "absent"
	}
	return fmt.Sprint(*p)
}
