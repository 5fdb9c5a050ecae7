package record

import (
	"math"
	"strings"
	"testing"
)

// scrapesOf builds scrapes taken at the given times, the first without
// increases; fill sets what scrape i read.
func scrapesOf(at []float64, fill func(i int, s *Scrape)) []Scrape {
	var out []Scrape
	for i, t := range at {
		s := Scrape{AtS: t, Increases: map[string]float64{}, Gauges: map[string]float64{}, Buckets: map[string]Buckets{}}
		if i > 0 {
			since := at[i-1]
			s.SinceS = &since
		}
		fill(i, &s)
		if i == 0 {
			s.Increases, s.Buckets = nil, nil
		}
		out = append(out, s)
	}
	return out
}

// TestMeasureWindow measures each aggregation over a window of known
// scrapes: the base scrape's gauges count, its increases do not.
func TestMeasureWindow(t *testing.T) {
	t.Parallel()
	// Warm-up 10 s; scrapes at 0, 5, 10 (the window's base), 15, 20.
	scrapes := scrapesOf([]float64{0, 5, 10, 15, 20}, func(i int, s *Scrape) {
		s.Increases[`hits_total{result="hit"}`] = float64(100 * i) // 100, 200, 300, 400 (warm-up: 100, 200)
		s.Increases[`hits_total`] = float64(125 * i)
		s.Gauges["queue"] = []float64{9, 1, 4, 8, 6}[i]
		s.Buckets["db_seconds"] = NewBuckets(map[float64]float64{0.01: float64(i), 0.1: float64(10 * i), math.Inf(1): float64(10 * i)})
	})
	hit := SeriesQuery{Agg: AggIncrease, Metric: "hits_total", Matchers: []Matcher{{Label: "result", Op: "=", Value: "hit"}}}
	all := SeriesQuery{Agg: AggIncrease, Metric: "hits_total"}
	series := []Series{
		{Name: "hits", Query: hit},
		{Name: "hits_per_s", Query: SeriesQuery{Agg: AggRate, Metric: "hits_total", Matchers: hit.Matchers}},
		{Name: "hit_rate", Query: hit, Over: &all},
		{Name: "queue_max", Query: SeriesQuery{Agg: AggMax, Metric: "queue"}},
		{Name: "queue_last", Query: SeriesQuery{Agg: AggLast, Metric: "queue"}},
		{Name: "queue_mean", Query: SeriesQuery{Agg: AggMean, Metric: "queue"}},
		{Name: "db_p50", Query: SeriesQuery{Agg: AggQuantile, Q: 0.5, Metric: "db_seconds"}},
		{Name: "absent", Query: SeriesQuery{Agg: AggIncrease, Metric: "nothing_total"}},
	}
	inline := []SeriesQuery{{Agg: AggMax, Metric: "queue"}}
	values, notes := MeasureWindow(series, inline, scrapes, 10)
	// The window's increases: 300 + 400 hits of 375 + 500 lookups over 10 s;
	// the gauge read 4, 8, 6; the histogram 70 observations, 7 under 10 ms.
	want := map[string]float64{"hits": 700, "hits_per_s": 70, "hit_rate": 700.0 / 875, "queue_max": 8, "queue_last": 6, "queue_mean": 6,
		"db_p50": 0.01 + 0.09*(35.0-7)/63, "max(queue)": 8}
	for k, w := range want {
		if v, ok := values[k]; !ok || math.Abs(v-w) > 1e-9 {
			t.Errorf("%s = %v (%v), want %v (notes %v)", k, v, ok, w, notes)
		}
	}
	if len(values) != len(want) {
		t.Errorf("values %v, want only %v", values, want)
	}
	if why := notes["absent"]; !strings.Contains(why, "exposed no series of nothing_total") {
		t.Errorf("absent: %q", why)
	}
	// One scrape in the window measures no increase; a gauge it reads.
	values, notes = MeasureWindow(series[:4], nil, scrapes[:3], 10)
	if _, ok := values["hits"]; ok || !strings.Contains(notes["hits"], "too few scrapes") || values["queue_max"] != 4 {
		t.Errorf("a window of one scrape: %v, %v", values, notes)
	}
	// A ratio over nothing says which side was 0.
	zero := scrapesOf([]float64{0, 5}, func(i int, s *Scrape) { s.Increases[`hits_total{result="hit"}`], s.Increases["hits_total"] = 0, 0 })
	if _, why := series[2].Measure(zero, 1); !strings.Contains(why, "increase(hits_total), which hit_rate divides by, was 0") {
		t.Errorf("ratio over 0: %q", why)
	}
	// No scrape at all.
	if _, notes := MeasureWindow(series[:1], nil, nil, 0); notes["hits"] != "no scrape of the target's metrics succeeded" {
		t.Errorf("no scrapes: %v", notes)
	}
}

// TestFillPoints puts each interval's scrapes into its point: increases
// since the scrape before, gauges as read, restarts counted.
func TestFillPoints(t *testing.T) {
	t.Parallel()
	scrapes := scrapesOf([]float64{0.2, 2.1, 2.6, 4.5}, func(i int, s *Scrape) {
		s.Increases["hits_total"] = float64(i)
		s.Gauges["queue"] = float64(10 * i)
		if i == 2 {
			s.Restart = "process_start_time_seconds"
		}
	})
	points := make([]Point, 4)
	series := []Series{{Name: "hits", Query: SeriesQuery{Agg: AggIncrease, Metric: "hits_total"}}, {Name: "queue", Query: SeriesQuery{Agg: AggLast, Metric: "queue"}}}
	FillPoints(points, scrapes, series)
	want := []map[string]float64{
		{"queue": 0}, // the first scrape: no increase
		nil,
		{"hits": 1 + 2, "queue": 20, ServerRestarts: 1},
		{"hits": 3, "queue": 30}, // after the last point: in the last
	}
	for i, p := range points {
		if len(p.Server) != len(want[i]) {
			t.Errorf("point %d: %v, want %v", i, p.Server, want[i])
			continue
		}
		for k, v := range want[i] {
			if p.Server[k] != v {
				t.Errorf("point %d: %s = %v, want %v", i, k, p.Server[k], v)
			}
		}
	}
	if rs := RestartsOf(scrapes); len(rs) != 1 || rs[0].AfterS != 2.1 || rs[0].BeforeS != 2.6 {
		t.Errorf("restarts %+v", rs)
	}
}

// TestBucketsQuantile interpolates inside the bucket that holds the rank,
// as Prometheus's histogram_quantile does.
func TestBucketsQuantile(t *testing.T) {
	t.Parallel()
	b := NewBuckets(map[float64]float64{0.1: 50, 0.2: 90, 0.4: 100})
	for _, c := range []struct{ q, want float64 }{
		{0.5, 0.1},                   // the rank ends the first bucket
		{0.25, 0.05},                 // halfway into the first, from 0
		{0.95, 0.2 + 0.2*(95-90)/10}, // inside the last finite one
	} {
		if got := b.Quantile(c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("q%v = %v, want %v", c.q, got, c.want)
		}
	}
	if b.Total() != 100 || len(b.Le) != 3 {
		t.Errorf("buckets %+v: the highest count is every observation when +Inf is absent", b)
	}
	sum := b.Add(NewBuckets(map[float64]float64{0.1: 1, 0.3: 2, math.Inf(1): 4}))
	if sum.Total() != 104 || len(sum.Le) != 4 {
		t.Errorf("sum %+v", sum)
	}
	if !math.IsNaN((Buckets{}).Quantile(0.5)) {
		t.Error("an empty histogram has a quantile")
	}
}
