package runner

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

func mustQueries(t *testing.T, qs ...record.SeriesQuery) *targetSeries {
	t.Helper()
	ts, err := newTargetSeries(nil, qs)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestSeriesAggregations: each aggregation over the measured window, with
// a counter that goes backwards in the middle: a counter resets only when
// its process restarts, so the target restarted, and every series counts
// again from zero at that scrape (as Prometheus's increase() counts a reset
// series), even those that grew past their old value.
func TestSeriesAggregations(t *testing.T) {
	t.Parallel()
	failed := []record.Matcher{{Label: "status", Op: "=", Value: "failed"}}
	qs := mustQueries(t,
		record.SeriesQuery{Agg: record.AggIncrease, Metric: "orders_total", Matchers: failed},
		record.SeriesQuery{Agg: record.AggRate, Metric: "orders_total"},
		record.SeriesQuery{Agg: record.AggMax, Metric: "queue_depth", Matchers: []record.Matcher{{Label: "queue", Op: "=~", Value: "mail|sms"}}},
		record.SeriesQuery{Agg: record.AggLast, Metric: "queue_depth"},
		record.SeriesQuery{Agg: record.AggMean, Metric: "queue_depth", Matchers: []record.Matcher{{Label: "queue", Op: "!=", Value: "push"}}},
		record.SeriesQuery{Agg: record.AggQuantile, Q: 0.5, Metric: "checkout_seconds"},
		record.SeriesQuery{Agg: record.AggIncrease, Metric: "absent_total"},
	)
	scrape := func(at time.Duration, failedN, okN, mail, sms, push, le1, le2, inf float64) scrapeAt {
		return scrapeAt{at: at, text: strings.NewReplacer(
			"FAILED", ftoa(failedN), "OK", ftoa(okN), "MAIL", ftoa(mail), "SMS", ftoa(sms), "PUSH", ftoa(push),
			"LE1", ftoa(le1), "LE2", ftoa(le2), "INF", ftoa(inf)).Replace(`# TYPE orders_total counter
orders_total{status="failed"} FAILED
orders_total{status="ok"} OK
# TYPE queue_depth gauge
queue_depth{queue="mail"} MAIL
queue_depth{queue="sms"} SMS
queue_depth{queue="push"} PUSH
# TYPE checkout_seconds histogram
checkout_seconds_bucket{le="0.1"} LE1
checkout_seconds_bucket{le="1"} LE2
checkout_seconds_bucket{le="+Inf"} INF
checkout_seconds_sum 0
checkout_seconds_count INF
`)}
	}
	samples := scrapesOf(t, qs,
		scrape(0, 100, 1000, 9, 9, 9, 0, 0, 0),                 // before the load: not counted
		scrape(2*time.Second, 105, 1050, 1, 2, 50, 10, 10, 10), // the window starts here (warm-up 2 s)
		scrape(4*time.Second, 3, 1100, 4, 4, 50, 10, 30, 30),   // failed went back: a restart
		scrape(6*time.Second, 10, 1120, 2, 1, 50, 10, 30, 30),
	)
	if base := record.WindowStart(samples, 2); base != 1 {
		t.Fatalf("window starts at scrape %d, want 1", base)
	}
	var srv record.Server
	qs.measure(&srv, samples, 2)
	want := map[string]float64{
		`increase(orders_total{status="failed"})`: 10,                        // 3 after the reset, then 7
		`rate(orders_total)`:                      (3 + 1100 + 7 + 20) / 4.0, // from zero at 4 s, over 4 s
		`max(queue_depth{queue=~"mail|sms"})`:     8,                         // 4 + 4
		`last(queue_depth)`:                       53,                        // 2 + 1 + 50
		`mean(queue_depth{queue!="push"})`:        (3 + 8 + 3) / 3.0,
		`quantile(0.5, checkout_seconds)`:         0.1 + 0.9*(5.0/20), // from zero at 4 s: 30 observations, 20 in (0.1, 1]: rank 15
	}
	for k, v := range want {
		if got, ok := srv.Series[k]; !ok || math.Abs(got-v) > 1e-9 {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if len(srv.Series) != len(want) || !strings.Contains(srv.SeriesNotes["increase(absent_total)"], "exposed no series") {
		t.Errorf("series %v, notes %v", srv.Series, srv.SeriesNotes)
	}

	// A restart of the target (process_start_time_seconds changes) counts
	// every series from zero, even one that grew past its old value.
	one := mustQueries(t, qs.queries[0])
	samples = scrapesOf(t, one,
		scrapeAt{0, "process_start_time_seconds 1\norders_total{status=\"failed\"} 5\n"},
		scrapeAt{time.Second, "process_start_time_seconds 2\norders_total{status=\"failed\"} 7\n"},
	)
	srv = record.Server{}
	one.measure(&srv, samples, 0)
	if got := srv.Series[`increase(orders_total{status="failed"})`]; got != 7 {
		t.Errorf("increase across a restart = %v, want 7", got)
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// countingMetricsServer serves metrics that move with each scrape, not
// with time or load: the k-th scrape (from 1) reads 10·k hits and 30·k
// misses, a queue of k, and 4·k observations of a histogram, all in
// (10 ms, 100 ms]. So every increase between two scrapes is known exactly.
func countingMetricsServer(t *testing.T) *httptest.Server {
	var scrapes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			return
		}
		k := scrapes.Add(1)
		fmt.Fprintf(w, "# TYPE shop_cache_total counter\nshop_cache_total{result=\"hit\"} %d\nshop_cache_total{result=\"miss\"} %d\n", 10*k, 30*k)
		fmt.Fprintf(w, "# TYPE shop_queue gauge\nshop_queue %d\n", k)
		fmt.Fprintf(w, "# TYPE shop_seconds histogram\nshop_seconds_bucket{le=\"0.01\"} 0\nshop_seconds_bucket{le=\"0.1\"} %d\nshop_seconds_bucket{le=\"+Inf\"} %[1]d\nshop_seconds_sum 0\nshop_seconds_count %[1]d\n", 4*k)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestNamedSeriesMeasured runs a scenario that declares named series
// against countingMetricsServer: each series over the measured window and
// in each interval of the timeline is what the scrapes that landed there
// add up to, exactly.
func TestNamedSeriesMeasured(t *testing.T) {
	srv := countingMetricsServer(t)
	sc := scenarioFor(t, srv.URL, fmt.Sprintf(`load:
  warmup: 1s
  stages: [{duration: 3s, rate: 20/s}]
requests: [{name: a, path: /}]
metrics:
  url: %s/metrics
  interval: 1s
  series:
    hits: 'increase(shop_cache_total{result="hit"})'
    hit_rate: 'ratio(increase(shop_cache_total{result="hit"}), increase(shop_cache_total))'
    queue_max: 'max(shop_queue)'
    queue_last: 'last(shop_queue)'
    median: 'quantile(0.5, shop_seconds)'
  charts:
    - {title: Hits, series: [hit_rate]}
gates:
  - hit_rate > 20%%
  - hit_rate > 30%%
`, srv.URL))
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	tl, err := record.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := len(tl.Scrapes)
	base := record.WindowStart(tl.Scrapes, 1)
	if n < 4 || n-base < 3 {
		t.Fatalf("%d scrapes, the window from %d: too few to measure", n, base)
	}
	// Scrape i (from 0) read k = i+1; the window counts the scrapes after
	// its base.
	want := map[string]float64{"hits": float64(10 * (n - 1 - base)), "hit_rate": 0.25, "queue_max": float64(n), "queue_last": float64(n), "median": 0.055}
	for k, v := range want {
		if got, ok := run.Server.Series[k]; !ok || math.Abs(got-v) > 1e-12 {
			t.Errorf("window %s = %v (%v), want %v; notes %v", k, got, ok, v, run.Server.SeriesNotes)
		}
	}
	// Each interval: 10 hits per scrape that landed in it (the first
	// scrape has none), the queue as last read there.
	perPoint := map[int]int{}
	lastK := map[int]int{}
	for i, s := range tl.Scrapes {
		idx := min(int(s.AtS), len(tl.Points)-1)
		if s.SinceS != nil {
			perPoint[idx]++
		}
		lastK[idx] = i + 1
	}
	for i, p := range tl.Points {
		if k, ok := lastK[i]; ok && p.Server["queue_last"] != float64(k) {
			t.Errorf("point %d: queue_last %v, want %d", i, p.Server["queue_last"], k)
		}
		if c := perPoint[i]; c > 0 {
			if p.Server["hits"] != float64(10*c) || p.Server["hit_rate"] != 0.25 || math.Abs(p.Server["median"]-0.055) > 1e-12 {
				t.Errorf("point %d (%d scrapes): %v, want %d hits, hit rate 0.25, median 0.055", i, c, p.Server, 10*c)
			}
		} else if _, ok := p.Server["hits"]; ok {
			t.Errorf("point %d: hits %v where no scrape counted any", i, p.Server["hits"])
		}
	}
	// The gates read the named series: 25 % passes > 20 %, fails > 30 %.
	gates := gate.Evaluate(run, run.Plan.Gates)
	if gates[0].Verdict != record.VerdictPass || gates[1].Verdict != record.VerdictFail || gates[0].Unit != "ratio" {
		t.Errorf("gates %+v", gates)
	}
	if c := run.Plan.Charts; len(c) != 1 || c[0].Title != "Hits" {
		t.Errorf("plan charts %+v", c)
	}
}
