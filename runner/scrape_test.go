package runner

import (
	"context"
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

// scrapeAt is one scrape's exposition text and when it was taken.
type scrapeAt struct {
	at   time.Duration
	text string
}

// testSeriesYAML declares, under metrics:, named series of the metrics
// the test servers expose (the reference target's names, and a rate of
// the hits).
const testSeriesYAML = `  series:
    hits: 'increase(loadgate_cache_requests_total{result="hit"})'
    misses: 'increase(loadgate_cache_requests_total{result="miss"})'
    hits_per_s: 'rate(loadgate_cache_requests_total{result="hit"})'
    cache_hit_rate: 'ratio(increase(loadgate_cache_requests_total{result="hit"}), increase(loadgate_cache_requests_total{result=~"hit|miss"}))'
    db_queries: 'increase(loadgate_db_query_duration_seconds_count)'
    db_mean: {expr: 'ratio(increase(loadgate_db_query_duration_seconds_sum), increase(loadgate_db_query_duration_seconds_count))', unit: seconds}
    db_p50: 'quantile(0.5, loadgate_db_query_duration_seconds)'
    db_p95: 'quantile(0.95, loadgate_db_query_duration_seconds)'
    db_p99: 'quantile(0.99, loadgate_db_query_duration_seconds)'
    db_pool_wait: 'increase(loadgate_db_pool_acquire_wait_seconds_total)'
    db_pool_empty_acquires: 'increase(loadgate_db_pool_empty_acquire_total)'
    goroutines: 'max(go_goroutines)'
`

// testSeries are testSeriesYAML's series, parsed, with the harness's.
func testSeries(t *testing.T) *targetSeries {
	t.Helper()
	sc := scenarioFor(t, "http://127.0.0.1:1", "load:\n  stages: [{duration: 1s, rate: 1/s}]\nrequests: [{name: a, path: /}]\nmetrics:\n  url: http://127.0.0.1:1/metrics\n"+testSeriesYAML)
	ts, err := newTargetSeries(sc.NamedSeries(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// scrapesOf turns scrape texts into scrapes as the scraper does, reading
// what ts reads.
func scrapesOf(t *testing.T, ts *targetSeries, texts ...scrapeAt) []record.Scrape {
	t.Helper()
	s := scraper{sels: ts.sels}
	for _, sc := range texts {
		rd, err := parseMetrics(strings.NewReader(sc.text), ts.sels)
		if err != nil {
			t.Fatal(err)
		}
		s.keep(&rd, sc.at)
	}
	return s.scrapes
}

// TestParseHistogram sums a histogram's label sets by bucket bound, reads
// its _sum and _count as counters, and the pool-wait counters (as
// increases from a scrape without them).
func TestParseHistogram(t *testing.T) {
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
	sc := scrapesOf(t, testSeries(t), scrapeAt{0, ""}, scrapeAt{time.Second, text})[1]
	b, ok := sc.Buckets["loadgate_db_query_duration_seconds"]
	if !ok {
		t.Fatal("no DB query histogram parsed")
	}
	if fmt.Sprint(b.Le) != "[0.001 0.01]" || fmt.Sprint(b.N) != "[3 5 6]" {
		t.Errorf("histogram bounds %v counts %v, want counts 3, 5, 6", b.Le, b.N)
	}
	inc := sc.Increases
	if inc["loadgate_db_query_duration_seconds_sum"] != 0.501 || inc["loadgate_db_query_duration_seconds_count"] != 6 ||
		inc["loadgate_db_pool_acquire_wait_seconds_total"] != 1.25 || inc["loadgate_db_pool_empty_acquire_total"] != 7 {
		t.Errorf("increases %v, want sum 0.501, count 6, wait 1.25, empty 7", inc)
	}
	if _, ok := inc[`loadgate_cache_requests_total{result="hit"}`]; ok {
		t.Errorf("increases %v: a counter the target did not expose", inc)
	}
	if sc.Restart != "" || sc.SinceS == nil || *sc.SinceS != 0 || sc.AtS != 1 {
		t.Errorf("scrape %+v: restart from series that first appeared, or wrong times", sc)
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
	ts := testSeries(t)
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
		{"hidden in the sum", cacheText(0, 10, 5, 20), cacheText(0, 2, 1, 40), 42, 1, "loadgate_cache_requests_total"},
		// The process start time changed but every counter grew past its
		// old value within the interval: still a restart.
		{"new process, counters higher", cacheText(100, 10, 5, 20), cacheText(160, 12, 6, 25), 37, 6, metricStartTime},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := scrapesOf(t, ts, scrapeAt{time.Second, c.prev}, scrapeAt{2 * time.Second, c.cur})[1]
			hits, misses := sc.Increases[`loadgate_cache_requests_total{result="hit"}`], sc.Increases[`loadgate_cache_requests_total{result="miss"}`]
			if hits != c.hits || misses != c.misses || sc.Restart != c.restart {
				t.Errorf("increase: %v hits, %v misses, restart %q; want %v, %v, %q", hits, misses, sc.Restart, c.hits, c.misses, c.restart)
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
metrics:
  url: %s/metrics
  interval: 1s
`+testSeriesYAML, srv.URL))
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	s := run.Server.Series
	for _, name := range []string{"db_queries", "db_p50", "db_p95", "db_p99", "db_mean", "db_pool_empty_acquires", "db_pool_wait"} {
		if _, ok := s[name]; !ok {
			t.Fatalf("series %s missing: %+v; notes %v, warnings %q", name, s, run.Server.SeriesNotes, run.Warnings)
		}
	}
	n := s["db_queries"]
	if n < 10 {
		t.Fatalf("%v DB queries in the measured window, want the fast ones of ~2 s at 40/s", n)
	}
	// Only fast queries, all in (1 ms, 2.5 ms]: q = 1 ms + 1.5 ms·q exactly.
	for _, c := range []struct {
		name string
		q    float64
	}{{"db_p50", 0.5}, {"db_p95", 0.95}, {"db_p99", 0.99}} {
		if want := 0.001 + 0.0015*c.q; math.Abs(s[c.name]-want) > 1e-9 {
			t.Errorf("%s %v s, want %v s (warm-up's slow queries subtracted)", c.name, s[c.name], want)
		}
	}
	if math.Abs(s["db_mean"]-0.002) > 1e-9 {
		t.Errorf("DB query mean %v s, want 0.002", s["db_mean"])
	}
	if s["db_pool_empty_acquires"] != n {
		t.Errorf("empty acquires %v, want one per query (%v)", s["db_pool_empty_acquires"], n)
	}
	if math.Abs(s["db_pool_wait"]-0.004*n) > 1e-6 {
		t.Errorf("pool wait %v s, want 4 ms per query (%v s)", s["db_pool_wait"], 0.004*n)
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
		if v, ok := p.Server["db_p95"]; ok && p.T >= 2 {
			withP95++
			if math.Abs(v-0.002425) > 1e-9 {
				t.Errorf("interval at %vs: DB query P95 %v s, want 0.002425", p.T, v)
			}
		}
		queries += p.Server["db_queries"]
		empties += p.Server["db_pool_empty_acquires"]
	}
	if withP95 == 0 {
		t.Error("no measured interval of the timeline holds db_p95")
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
	ts := testSeries(t)
	samples := scrapesOf(t, ts,
		scrapeAt{0, histText(10, 1)},
		scrapeAt{time.Second, histText(50, 3)},
		scrapeAt{2 * time.Second, histText(5, 1)},
		scrapeAt{3 * time.Second, histText(8, 1.5)})
	srv, warnings, _ := summarizeServer("http://x/metrics", ts, samples, nil, nil, time.Second, nil, nil)
	if s := srv.Series; s["db_queries"] != 8 || s["db_p95"] == 0 || s["db_pool_wait"] != 1.5 {
		t.Errorf("DB series %+v, want 8 queries (5 after the restart, then 3) and 1.5 s of pool wait", s)
	}
	want := record.Restart{AfterS: 1, BeforeS: 2, Sign: "loadgate_db_pool_acquire_wait_seconds_total, loadgate_db_query_duration_seconds, loadgate_db_query_duration_seconds_count, loadgate_db_query_duration_seconds_sum"}
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
	ts := testSeries(t)
	samples := scrapesOf(t, ts, scrapeAt{time.Second, ""}, scrapeAt{3 * time.Second, `# TYPE loadgate_db_query_duration_seconds histogram
loadgate_db_query_duration_seconds_bucket{query="a",le="0.001"} 0
loadgate_db_query_duration_seconds_bucket{query="a",le="0.01"} 4
loadgate_db_query_duration_seconds_bucket{query="a",le="+Inf"} 4
loadgate_db_query_duration_seconds_sum{query="a"} 0.02
loadgate_db_query_duration_seconds_count{query="a"} 4
`})
	srv, warnings, _ := summarizeServer("http://x/metrics", ts, samples, nil, nil, time.Second, nil, nil)
	if s := srv.Series; s["db_queries"] != 4 || math.Abs(s["db_p50"]-0.0055) > 1e-12 {
		t.Errorf("DB series %+v (warnings %q), want 4 queries and P50 5.5 ms", s, warnings)
	}
}

// TestDBQueryOneScrape: a single scrape measures no window, so the DB
// summary stays unknown rather than claiming zero queries and no waits.
func TestDBQueryOneScrape(t *testing.T) {
	t.Parallel()
	ts := testSeries(t)
	samples := scrapesOf(t, ts, scrapeAt{2 * time.Second, histText(3, 1)})
	srv, _, _ := summarizeServer("http://x/metrics", ts, samples, nil, nil, time.Second, nil, nil)
	for _, name := range []string{"db_queries", "db_p95", "db_pool_wait"} {
		if _, ok := srv.Series[name]; ok || !strings.Contains(srv.SeriesNotes[name], "too few scrapes") {
			t.Errorf("%s from a single scrape: %v (%q)", name, srv.Series[name], srv.SeriesNotes[name])
		}
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
	var at []float64
	for _, smp := range samples[:min(len(samples), 4)] {
		at = append(at, smp.AtS)
	}
	if want := []float64{2, 3, 4, 6}; !slices.Equal(at, want) {
		t.Errorf("samples at %v, want %v", at, want)
	}
}
