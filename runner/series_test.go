package runner

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

// seriesSamples turns scrapes into samples as the scraper does, reading
// the queries.
func seriesSamples(t *testing.T, qs []*seriesQuery, scrapes ...scrapeAt) []sample {
	t.Helper()
	s := scraper{queries: qs}
	for _, sc := range scrapes {
		rd, err := parseMetrics(strings.NewReader(sc.text), qs...)
		if err != nil {
			t.Fatal(err)
		}
		s.keep(&rd, sc.at)
	}
	return s.samples
}

func mustQueries(t *testing.T, qs ...record.SeriesQuery) []*seriesQuery {
	t.Helper()
	c, err := compileSeries(qs)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSeriesAggregations: each aggregation over the measured window, with
// a counter that resets on its own in the middle (its increase counts on
// from zero, as Prometheus's increase() does) while the process does not.
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
	samples := seriesSamples(t, qs,
		scrape(0, 100, 1000, 9, 9, 9, 0, 0, 0),                 // before the load: not counted
		scrape(2*time.Second, 105, 1050, 1, 2, 50, 10, 10, 10), // the window starts here (warm-up 2 s)
		scrape(4*time.Second, 3, 1100, 4, 4, 50, 10, 30, 30),   // failed reset to 0, then 3
		scrape(6*time.Second, 10, 1120, 2, 1, 50, 10, 30, 30),
	)
	base := windowStart(samples, 2*time.Second)
	if base != 1 {
		t.Fatalf("window starts at sample %d, want 1", base)
	}
	var srv record.Server
	summarizeSeries(&srv, qs, samples, base)
	want := map[string]float64{
		`increase(orders_total{status="failed"})`: 10,       // 3 after the reset, then 7
		`rate(orders_total)`:                      80.0 / 4, // failed +10, ok +70 over 4 s
		`max(queue_depth{queue=~"mail|sms"})`:     8,        // 4 + 4
		`last(queue_depth)`:                       53,       // 2 + 1 + 50
		`mean(queue_depth{queue!="push"})`:        (3 + 8 + 3) / 3.0,
		`quantile(0.5, checkout_seconds)`:         0.1 + 0.9*(10.0/20), // 20 observations, all in (0.1, 1]: rank 10
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
	samples = seriesSamples(t, qs[:1],
		scrapeAt{0, "process_start_time_seconds 1\norders_total{status=\"failed\"} 5\n"},
		scrapeAt{time.Second, "process_start_time_seconds 2\norders_total{status=\"failed\"} 7\n"},
	)
	srv = record.Server{}
	summarizeSeries(&srv, qs[:1], samples, 0)
	if got := srv.Series[`increase(orders_total{status="failed"})`]; got != 7 {
		t.Errorf("increase across a restart = %v, want 7", got)
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
