package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

// TestHistogramQuantile checks the interpolation against values worked out
// by hand with Prometheus's histogram_quantile rules.
func TestHistogramQuantile(t *testing.T) {
	t.Parallel()
	h := &histogram{
		bounds: []float64{0.001, 0.005, 0.01, math.Inf(1)},
		counts: []float64{10, 60, 90, 100},
	}
	for _, c := range []struct {
		q, want float64
		why     string
	}{
		{0.10, 0.001, "rank 10 is the top of the first bucket, interpolated from 0"},
		{0.05, 0.0005, "half-way through the first bucket"},
		{0.50, 0.0042, "rank 50: 40 of the 50 in (1 ms, 5 ms]"},
		{0.90, 0.01, "rank 90 is the top of the last finite bucket"},
		{0.95, 0.01, "in the +Inf bucket: the highest finite bound"},
	} {
		if got := h.quantile(c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("q%v = %v, want %v (%s)", c.q, got, c.want, c.why)
		}
	}
	if got := (&histogram{bounds: []float64{1, math.Inf(1)}, counts: []float64{0, 0}}).quantile(0.5); !math.IsNaN(got) {
		t.Errorf("empty histogram: q0.5 = %v, want NaN", got)
	}
}

// scrapeAt is one scrape's exposition text and when it was taken.
type scrapeAt struct {
	at   time.Duration
	text string
}

// samplesOf turns scrapes into samples as the scraper does.
func samplesOf(t *testing.T, scrapes ...scrapeAt) []sample {
	t.Helper()
	var s scraper
	for _, sc := range scrapes {
		rd, err := parseMetrics(strings.NewReader(sc.text))
		if err != nil {
			t.Fatal(err)
		}
		s.keep(&rd, sc.at)
	}
	return s.samples
}

// TestParseDBQueryHistogram sums the label sets by bucket bound and reads
// the pool-wait counters (as increases from a scrape without them).
func TestParseDBQueryHistogram(t *testing.T) {
	t.Parallel()
	text := `# TYPE loadgate_db_query_duration_seconds histogram
loadgate_db_query_duration_seconds_bucket{query="a",le="0.001"} 1
loadgate_db_query_duration_seconds_bucket{query="a",le="0.01"} 3
loadgate_db_query_duration_seconds_bucket{query="a",le="+Inf"} 4
loadgate_db_query_duration_seconds_sum{query="a"} 0.5
loadgate_db_query_duration_seconds_count{query="a"} 4
loadgate_db_query_duration_seconds_bucket{query="b",le="0.001"} 2
loadgate_db_query_duration_seconds_bucket{query="b",le="0.01"} 2
loadgate_db_query_duration_seconds_bucket{query="b",le="+Inf"} 2
loadgate_db_query_duration_seconds_sum{query="b"} 0.001
loadgate_db_query_duration_seconds_count{query="b"} 2
# TYPE loadgate_db_pool_acquire_wait_seconds_total counter
loadgate_db_pool_acquire_wait_seconds_total 1.25
# TYPE loadgate_db_pool_empty_acquire_total counter
loadgate_db_pool_empty_acquire_total 7
`
	smp := samplesOf(t, scrapeAt{0, ""}, scrapeAt{time.Second, text})[1]
	h := smp.dbQuery
	if h == nil {
		t.Fatal("no DB query histogram parsed")
	}
	want := []float64{3, 5, 6}
	if fmt.Sprint(h.counts) != fmt.Sprint(want) || !math.IsInf(h.bounds[2], 1) || h.sum != 0.501 {
		t.Errorf("histogram bounds %v counts %v sum %v, want counts %v and sum 0.501", h.bounds, h.counts, h.sum, want)
	}
	if !smp.counterSeen[counterPoolWait] || smp.counters[counterPoolWait] != 1.25 || smp.counters[counterPoolEmpty] != 7 {
		t.Errorf("pool counters %v seen %v, want 1.25 and 7", smp.counters, smp.counterSeen)
	}
	if smp.restart != "" {
		t.Errorf("restart %q from series that first appeared", smp.restart)
	}
}

// cacheText is a scrape of two caches' hits and misses, and of the
// process start time when start is not zero.
func cacheText(start float64, aHits, aMisses, bHits float64) string {
	s := fmt.Sprintf(`# TYPE loadgate_cache_requests_total counter
loadgate_cache_requests_total{cache="a",result="hit"} %g
loadgate_cache_requests_total{cache="a",result="miss"} %g
loadgate_cache_requests_total{cache="b",result="hit"} %g
`, aHits, aMisses, bHits)
	if start != 0 {
		s += fmt.Sprintf("# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %g\n", start)
	}
	return s
}

// TestIncreaseAcrossRestarts checks the reset-aware increases one scrape
// at a time, case by case.
func TestIncreaseAcrossRestarts(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name         string
		prev, cur    string
		hits, misses float64
		restart      string
	}{
		// No restart: the difference.
		{"growth", cacheText(100, 10, 5, 20), cacheText(100, 15, 6, 30), 15, 1, ""},
		// One series went backwards while another grew more, so their sum
		// grew: the restart is seen per series, and every series counts
		// from zero.
		{"hidden in the sum", cacheText(0, 10, 5, 20), cacheText(0, 2, 1, 40), 42, 1, metricCacheRequests},
		// The process start time changed but every counter grew past its
		// old value within the interval: still a restart.
		{"new process, counters higher", cacheText(100, 10, 5, 20), cacheText(160, 12, 6, 25), 37, 6, metricStartTime},
	} {
		t.Run(c.name, func(t *testing.T) {
			smp := samplesOf(t, scrapeAt{time.Second, c.prev}, scrapeAt{2 * time.Second, c.cur})[1]
			if smp.hits != c.hits || smp.misses != c.misses || smp.restart != c.restart {
				t.Errorf("increase: %v hits, %v misses, restart %q; want %v, %v, %q", smp.hits, smp.misses, smp.restart, c.hits, c.misses, c.restart)
			}
		})
	}
}

// dbMetricsServer serves a Prometheus endpoint whose DB query histogram moves
// with the requests served: slow queries (20 ms) in the first half second,
// long before the warm-up ends, then fast ones (2 ms), spread over two
// label sets. Each fast query also adds 4 ms of pool wait and an empty
// acquire; each slow one a whole second of wait.
func dbMetricsServer(t *testing.T) *httptest.Server {
	start := time.Now()
	var mu sync.Mutex // guards the counts below
	var slow, fastA, fastB int
	var wait float64
	var empty int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/health":
		case "/metrics":
			fmt.Fprintln(w, "# TYPE loadgate_db_query_duration_seconds histogram")
			for _, s := range []struct {
				label      string
				slow, fast int
			}{{"a", slow, fastA}, {"b", 0, fastB}} {
				n := s.slow + s.fast
				fmt.Fprintf(w, "loadgate_db_query_duration_seconds_bucket{query=%q,le=\"0.001\"} 0\n", s.label)
				fmt.Fprintf(w, "loadgate_db_query_duration_seconds_bucket{query=%q,le=\"0.0025\"} %d\n", s.label, s.fast)
				fmt.Fprintf(w, "loadgate_db_query_duration_seconds_bucket{query=%q,le=\"0.025\"} %d\n", s.label, n)
				fmt.Fprintf(w, "loadgate_db_query_duration_seconds_bucket{query=%q,le=\"+Inf\"} %d\n", s.label, n)
				fmt.Fprintf(w, "loadgate_db_query_duration_seconds_sum{query=%q} %g\n", s.label, 0.02*float64(s.slow)+0.002*float64(s.fast))
				fmt.Fprintf(w, "loadgate_db_query_duration_seconds_count{query=%q} %d\n", s.label, n)
			}
			fmt.Fprintf(w, "# TYPE loadgate_db_pool_acquire_wait_seconds_total counter\nloadgate_db_pool_acquire_wait_seconds_total %g\n", wait)
			fmt.Fprintf(w, "# TYPE loadgate_db_pool_empty_acquire_total counter\nloadgate_db_pool_empty_acquire_total %d\n", empty)
		default:
			switch {
			case time.Since(start) < 500*time.Millisecond:
				slow++
				wait++
			case (fastA+fastB)%2 == 0:
				fastA++
				wait += 0.004
			default:
				fastB++
				wait += 0.004
			}
			empty++
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestDBQueryScrape runs against dbMetricsServer: the run's DB query
// quantiles and pool waits cover the measured window only (the slow warm-up
// queries are subtracted), and the timeline holds the per-interval P95.
func TestDBQueryScrape(t *testing.T) {
	srv := dbMetricsServer(t)
	sc := scenarioFor(t, srv.URL, fmt.Sprintf(`load:
  warmup: 1s
  stages: [{duration: 3s, rate: 40/s}]
requests: [{name: a, path: /}]
metrics: {url: %s/metrics, interval: 1s}
`, srv.URL))
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	s := run.Server
	if s.DBQueries == nil || s.DBQueryP95Seconds == nil || s.DBQueryP50Seconds == nil || s.DBQueryP99Seconds == nil || s.DBQueryMeanSeconds == nil {
		t.Fatalf("DB query summary missing: %+v; warnings %q", s, run.Warnings)
	}
	n := *s.DBQueries
	if n < 10 {
		t.Fatalf("%v DB queries in the measured window, want the fast ones of ~2 s at 40/s", n)
	}
	// Only fast queries, all in (1 ms, 2.5 ms]: q = 1 ms + 1.5 ms·q exactly.
	for _, c := range []struct {
		name string
		got  *float64
		q    float64
	}{{"p50", s.DBQueryP50Seconds, 0.5}, {"p95", s.DBQueryP95Seconds, 0.95}, {"p99", s.DBQueryP99Seconds, 0.99}} {
		if want := 0.001 + 0.0015*c.q; math.Abs(*c.got-want) > 1e-9 {
			t.Errorf("DB query %s %v s, want %v s (warm-up's slow queries subtracted)", c.name, *c.got, want)
		}
	}
	if math.Abs(*s.DBQueryMeanSeconds-0.002) > 1e-9 {
		t.Errorf("DB query mean %v s, want 0.002", *s.DBQueryMeanSeconds)
	}
	if s.DBPoolEmptyAcquires == nil || *s.DBPoolEmptyAcquires != n {
		t.Errorf("empty acquires %v, want one per query (%v)", s.DBPoolEmptyAcquires, n)
	}
	if s.DBPoolWaitSeconds == nil || math.Abs(*s.DBPoolWaitSeconds-0.004*n) > 1e-6 {
		t.Errorf("pool wait %v s, want 4 ms per query (%v s)", s.DBPoolWaitSeconds, 0.004*n)
	}
	tl, err := record.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	var withP95 int
	var queries, empties float64
	for _, p := range tl.Points {
		// A scrape's delta lands in the second the scrape did, so the
		// first second after the warm-up still holds warm-up queries.
		if v, ok := p.Server["db_query_p95_ms"]; ok && p.T >= 2 {
			withP95++
			if math.Abs(v-2.425) > 1e-6 {
				t.Errorf("interval at %vs: DB query P95 %v ms, want 2.425", p.T, v)
			}
		}
		queries += p.Server["db_queries"]
		empties += p.Server["db_pool_empty_acquires"]
	}
	if withP95 == 0 {
		t.Error("no measured interval of the timeline holds db_query_p95_ms")
	}
	if queries == 0 || queries != empties {
		t.Errorf("timeline: %v queries and %v empty acquires, want equal and non-zero", queries, empties)
	}
}

// histText is a scrape of a DB query histogram of n queries (all under
// 10 ms) and of the pool wait counter.
func histText(n, wait float64) string {
	return fmt.Sprintf(`# TYPE loadgate_db_query_duration_seconds histogram
loadgate_db_query_duration_seconds_bucket{query="a",le="0.01"} %[1]g
loadgate_db_query_duration_seconds_bucket{query="a",le="+Inf"} %[1]g
loadgate_db_query_duration_seconds_sum{query="a"} %[2]g
loadgate_db_query_duration_seconds_count{query="a"} %[1]g
# TYPE loadgate_db_pool_acquire_wait_seconds_total counter
loadgate_db_pool_acquire_wait_seconds_total %[3]g
`, n, n/1000, wait)
}

// TestDBQueryRestart: a histogram and a counter that go backwards (the
// target restarted) count again from zero; the restart is a run fact and a
// warning.
func TestDBQueryRestart(t *testing.T) {
	t.Parallel()
	samples := samplesOf(t,
		scrapeAt{0, histText(10, 1)},
		scrapeAt{time.Second, histText(50, 3)},
		scrapeAt{2 * time.Second, histText(5, 1)},
		scrapeAt{3 * time.Second, histText(8, 1.5)})
	srv, warnings, _ := summarizeServer("http://x/metrics", samples, nil, nil, time.Second, nil, nil)
	if srv.DBQueries == nil || *srv.DBQueries != 8 || srv.DBQueryP95Seconds == nil || srv.DBPoolWaitSeconds == nil || *srv.DBPoolWaitSeconds != 1.5 {
		t.Errorf("DB summary %+v, want 8 queries (5 after the restart, then 3) and 1.5 s of pool wait", srv)
	}
	want := record.Restart{AfterS: 1, BeforeS: 2, Sign: metricPoolWait + ", " + metricDBQuery}
	if len(srv.Restarts) != 1 || srv.Restarts[0] != want {
		t.Errorf("restarts %+v, want %+v", srv.Restarts, want)
	}
	if joined := strings.Join(warnings, "\n"); !strings.Contains(joined, "restarted between 1s and 2s") {
		t.Errorf("warnings %q do not say when the target restarted", warnings)
	}
}

// TestDBQueryFirstSeenMidRun: a histogram vector has no series before its
// first observation, so a base scrape without it means zero queries then.
func TestDBQueryFirstSeenMidRun(t *testing.T) {
	t.Parallel()
	samples := samplesOf(t, scrapeAt{time.Second, ""}, scrapeAt{3 * time.Second, `# TYPE loadgate_db_query_duration_seconds histogram
loadgate_db_query_duration_seconds_bucket{query="a",le="0.001"} 0
loadgate_db_query_duration_seconds_bucket{query="a",le="0.01"} 4
loadgate_db_query_duration_seconds_bucket{query="a",le="+Inf"} 4
loadgate_db_query_duration_seconds_sum{query="a"} 0.02
loadgate_db_query_duration_seconds_count{query="a"} 4
`})
	srv, warnings, _ := summarizeServer("http://x/metrics", samples, nil, nil, time.Second, nil, nil)
	if srv.DBQueries == nil || *srv.DBQueries != 4 || srv.DBQueryP50Seconds == nil || math.Abs(*srv.DBQueryP50Seconds-0.0055) > 1e-12 {
		t.Errorf("DB summary %+v (warnings %q), want 4 queries and P50 5.5 ms", srv, warnings)
	}
}

// TestDBQueryOneScrape: a single scrape measures no window, so the DB
// summary stays unknown rather than claiming zero queries and no waits.
func TestDBQueryOneScrape(t *testing.T) {
	t.Parallel()
	samples := samplesOf(t, scrapeAt{2 * time.Second, histText(3, 1)})
	srv, _, _ := summarizeServer("http://x/metrics", samples, nil, nil, time.Second, nil, nil)
	if srv.DBQueries != nil || srv.DBPoolWaitSeconds != nil {
		t.Errorf("DB summary %+v from a single scrape", srv)
	}
}

// TestScraperTicksOnTheClock: the scraper samples when the runner's clock
// ticks (every interval) and once when the warm-up ends, each sample timed
// on the clock since the origin: a 2 s interval and a 3 s warm-up sample
// at 2, 3, 4 and 6 s. The clock moves only when the test moves it, so a
// scraper on the wall clock never samples here.
func TestScraperTicksOnTheClock(t *testing.T) {
	t.Parallel()
	scraped := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, cacheText(0, 1, 1, 1))
		scraped <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	origin := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	fc := newFakeClock(origin)
	s := newScraper(srv.URL, nil, 5*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.run(ctx, fc.clock(), origin, 2*time.Second, 3*time.Second)
	}()
	fc.waiting(t, 2) // the ticker and the warm-up
	// The sample's time is read before its request: once the server has
	// the request, the clock may move on. The scraper keeps a sample
	// before it asks for the next, so the fifth request says the first
	// four are kept.
	for _, step := range []time.Duration{2 * time.Second, time.Second, time.Second, 2 * time.Second, 2 * time.Second} {
		fc.advance(step)
		<-scraped
	}
	cancel()
	<-done
	samples, _, _ := s.snapshot() // the fifth may fail: cancelled
	var at []time.Duration
	for _, smp := range samples[:min(len(samples), 4)] {
		at = append(at, smp.at)
	}
	if want := []time.Duration{2 * time.Second, 3 * time.Second, 4 * time.Second, 6 * time.Second}; !slices.Equal(at, want) {
		t.Errorf("samples at %v, want %v", at, want)
	}
}

// TestDrillCausedScrapeFailuresExpected: a scrape that failed, and a
// restart seen, while a drill had the target down (its window widened by a
// scrape interval) are expected, not warnings; a failure outside every
// drill window is still a warning.
func TestDrillCausedScrapeFailuresExpected(t *testing.T) {
	t.Parallel()
	samples := samplesOf(t,
		scrapeAt{0, histText(10, 1)},
		scrapeAt{time.Second, histText(50, 3)},
		scrapeAt{3 * time.Second, histText(5, 1)}, // restarted since the last
		scrapeAt{4 * time.Second, histText(8, 1.5)})
	down := []downWindow{{name: "restart", start: 2 * time.Second, end: 2500 * time.Millisecond, slack: time.Second}}
	failed := []time.Duration{2 * time.Second, 6 * time.Second}
	srv, warnings, expected := summarizeServer("http://x/metrics", samples, failed, errors.New("refused"), time.Second, nil, down)
	if srv.ScrapeErrors != 2 || len(srv.Restarts) != 1 {
		t.Errorf("scrape errors %d, restarts %v: want both failures and the restart recorded", srv.ScrapeErrors, srv.Restarts)
	}
	exp, warn := strings.Join(expected, "\n"), strings.Join(warnings, "\n")
	if !strings.Contains(exp, "1 of 6 scrapes of http://x/metrics failed while the drill restart had the target down") ||
		!strings.Contains(exp, "restarted between 1s and 3s") || !strings.Contains(exp, "as the drill restart made it") {
		t.Errorf("expected %q: want the failed scrape at 2s and the restart, each naming the drill", expected)
	}
	if !strings.Contains(warn, "1 of 6 scrapes of http://x/metrics failed") || strings.Contains(warn, "restarted") {
		t.Errorf("warnings %q: want only the failure at 6s, outside the drill", warnings)
	}
	// No drill: both are warnings, as before.
	_, warnings, expected = summarizeServer("http://x/metrics", samples, failed, errors.New("refused"), time.Second, nil, nil)
	if len(expected) != 0 || !strings.Contains(strings.Join(warnings, "\n"), "2 of 6 scrapes") || !strings.Contains(strings.Join(warnings, "\n"), "restarted between 1s and 3s") {
		t.Errorf("without drills: warnings %q, expected %q", warnings, expected)
	}
}
