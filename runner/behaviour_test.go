package runner

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/runner/results"
)

// TestStallCorrectedVsUncorrected runs against a server that stalls once for
// 500 ms with one worker: the requests due during the stall wait behind it.
// Their service time is short, so only the corrected figures show the stall.
func TestStallCorrectedVsUncorrected(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" && n.Add(1) == 30 {
			time.Sleep(500 * time.Millisecond)
		}
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, `load:
  max_workers: 1
  stages: [{duration: 3s, rate: 50/s}]
requests: [{name: a, path: /}]
`)
	run, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	lat, svc := run.Overall.LatencyUS, run.Overall.ServiceTimeUS
	t.Logf("corrected p50 %.0f p90 %.0f p99 %.0f; uncorrected p50 %.0f p90 %.0f p99 %.0f", lat.P50, lat.P90, lat.P99, svc.P50, svc.P90, svc.P99)
	if lat.P90 < 100_000 {
		t.Errorf("corrected p90 %.0f µs does not show the 500 ms stall", lat.P90)
	}
	if svc.P90 > 50_000 {
		t.Errorf("uncorrected p90 %.0f µs: only one request was slow", svc.P90)
	}
	if lat.Max < 450_000 {
		t.Errorf("corrected max %.0f µs, want the stall", lat.Max)
	}
	if len(run.Warnings) == 0 || !strings.Contains(strings.Join(run.Warnings, " "), "max_workers") {
		t.Errorf("warnings %q: want the generator's late sends and the worker cap named", run.Warnings)
	}
}

// TestLatencyAccuracy runs against a server with a known latency
// distribution (90% 10 ms, 10% 60 ms): the reported percentiles are within
// HDR precision plus scheduling jitter.
func TestLatencyAccuracy(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		d := 10 * time.Millisecond
		if n.Add(1)%10 == 0 {
			d = 60 * time.Millisecond
		}
		time.Sleep(d)
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 2s, rate: 100/s}]\nrequests: [{name: a, path: /}]\n")
	run, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	const jitter = 15_000 // µs: sleep overshoot and scheduling on a shared machine
	svc := run.Overall.ServiceTimeUS
	check := func(name string, got, want float64) {
		if got < want*0.999 || got > want+jitter {
			t.Errorf("%s = %.0f µs, want %.0f µs (+ up to %d µs jitter)", name, got, want, jitter)
		}
	}
	check("p50", svc.P50, 10_000)
	check("p95", svc.P95, 60_000)
	check("min", svc.Min, 10_000)
	// The maximum is a single sample: one scheduling stall of a loaded
	// machine lands in it whole, so only its floor is exact.
	if svc.Max < 60_000*0.999 || svc.Max > 60_000+250_000 {
		t.Errorf("max = %.0f µs, want 60000 µs (+ up to 250 ms for one stall)", svc.Max)
	}
	if run.Overall.LatencyUS.P50 < svc.P50 {
		t.Errorf("corrected p50 %.0f below uncorrected %.0f", run.Overall.LatencyUS.P50, svc.P50)
	}
}

// metricsServer serves a fake Prometheus endpoint: three cache hits and one
// miss per request served, and a few gauges.
func metricsServer(t *testing.T, withCache bool) *httptest.Server {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
		case "/metrics":
			n := served.Load()
			fmt.Fprintf(w, "# TYPE go_goroutines gauge\ngo_goroutines 42\n")
			fmt.Fprintf(w, "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 1.5e+07\n")
			if withCache {
				fmt.Fprintf(w, "# TYPE loadgate_cache_requests_total counter\n")
				fmt.Fprintf(w, "loadgate_cache_requests_total{cache=\"food\",result=\"hit\"} %d\n", 2*n+100)
				fmt.Fprintf(w, "loadgate_cache_requests_total{cache=\"user\",result=\"hit\"} %d\n", n)
				fmt.Fprintf(w, "loadgate_cache_requests_total{cache=\"food\",result=\"miss\"} %d\n", n+7)
			}
		default:
			served.Add(1)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestMetricsScrape(t *testing.T) {
	srv := metricsServer(t, true)
	sc := scenarioFor(t, srv.URL, fmt.Sprintf(`load:
  stages: [{duration: 2500ms, rate: 40/s}]
requests: [{name: a, path: /}]
metrics: {url: %s/metrics, interval: 1s}
`, srv.URL))
	run, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	s := run.Server
	if s.CacheHitRate == nil {
		t.Fatalf("no cache hit rate; warnings %q", run.Warnings)
	}
	if *s.CacheHitRate != 0.75 || *s.CacheHits != 300 || *s.CacheMisses != 100 {
		t.Errorf("cache hits %v misses %v rate %v, want 300, 100, 0.75 (baseline subtracted)", *s.CacheHits, *s.CacheMisses, *s.CacheHitRate)
	}
	if s.RSSBytesMax == nil || *s.RSSBytesMax != 1.5e7 || s.Goroutines == nil || *s.Goroutines != 42 {
		t.Errorf("server %+v", s)
	}
	if s.Scrapes < 3 {
		t.Errorf("%d scrapes, want the baseline, periodic ones and the last", s.Scrapes)
	}
	tl, err := results.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	withRate := 0
	for _, p := range tl.Points {
		if r, ok := p.Server["cache_hit_rate"]; ok {
			withRate++
			if r != 0.75 {
				t.Errorf("interval at %vs: cache hit rate %v", p.T, r)
			}
		}
	}
	if withRate == 0 {
		t.Error("no interval of the timeline holds a cache hit rate")
	}
}

func TestMetricsWithoutCacheCounter(t *testing.T) {
	srv := metricsServer(t, false)
	sc := scenarioFor(t, srv.URL, fmt.Sprintf("load:\n  stages: [{duration: 1s, rate: 10/s}]\nrequests: [{name: a, path: /}]\nmetrics: {url: %s/metrics}\n", srv.URL))
	run, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	if run.Server.CacheHitRate != nil {
		t.Errorf("cache hit rate %v from a target without the counter", *run.Server.CacheHitRate)
	}
	if !strings.Contains(strings.Join(run.Warnings, " "), "loadgate_cache_requests_total") {
		t.Errorf("warnings %q do not name the missing metric", run.Warnings)
	}
}

// TestAbort cancels a run while some requests hang: the run stops at once
// (it does not wait for them), writes what it recorded as aborted, and does
// not count the cancelled requests as errors.
func TestAbort(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" && n.Add(1)%4 == 0 {
			select {
			case <-time.After(20 * time.Second):
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 30s, rate: 20/s}]\nrequests: [{name: a, path: /}]\n")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(1200*time.Millisecond, cancel)
	start := time.Now()
	run, dir, err := Run(ctx, sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("abort took %s: it waited for the hanging requests", took)
	}
	if run.Status != results.StatusAborted {
		t.Errorf("status %q, want aborted", run.Status)
	}
	o := run.Overall
	if o.Requests < 10 || o.Requests > 30 || o.Unsent > 2 || o.Successes != o.Requests-o.Unsent {
		t.Errorf("recorded %d requests (%d ok, %d unsent) in about 1.2 s at 20/s, a quarter of them hanging", o.Requests, o.Successes, o.Unsent)
	}
	back, err := results.ReadRun(dir)
	if err != nil || back.Status != results.StatusAborted {
		t.Errorf("run.json: %v, %+v", err, back)
	}
}

// TestClosedModel checks that users are a concurrency cap with think time.
func TestClosedModel(t *testing.T) {
	var inFlight, peak, served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		served.Add(1)
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, `load:
  model: closed
  think_time: 80ms
  stages: [{duration: 2s, users: 3}]
requests: [{name: a, path: /}]
`)
	run, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	if peak.Load() > 3 {
		t.Errorf("%d requests in flight at once with 3 users", peak.Load())
	}
	// Each user: about 100 ms a cycle (20 ms + 80 ms think), so at most 20
	// per user in 2 s.
	if s := served.Load(); s < 15 || s > 63 {
		t.Errorf("served %d requests, want about 60 and no more than 3 users allow", s)
	}
	if run.Plan.Model != "closed" || run.Overall.Requests != served.Load() {
		t.Errorf("model %q, recorded %d of %d served", run.Plan.Model, run.Overall.Requests, served.Load())
	}
}

// TestLatencyLogReadsBack reads latency.hlog with hdrhistogram-go's reader:
// tagged per endpoint, untagged overall, counts that match run.json.
func TestLatencyLogReadsBack(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, `load:
  warmup: 1s
  stages: [{duration: 2500ms, rate: 40/s}]
requests:
  - {name: a, path: /a}
  - {name: b, path: /b}
`)
	run, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	data, err := os.ReadFile(filepath.Join(dir, results.HlogFile))
	if err != nil {
		t.Fatal(err)
	}
	reader := hdr.NewHistogramLogReader(bytes.NewReader(data))
	counts := map[string]int64{}
	for {
		h, err := reader.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		counts[h.Tag()] += h.TotalCount()
	}
	if counts[""] != run.Overall.Requests {
		t.Errorf("untagged intervals hold %d, run.json %d", counts[""], run.Overall.Requests)
	}
	for _, name := range []string{"a", "b"} {
		if counts[name] != run.Endpoints[name].Requests {
			t.Errorf("Tag=%s intervals hold %d, run.json %d", name, counts[name], run.Endpoints[name].Requests)
		}
	}
	if run.Overall.Requests != 60 {
		t.Errorf("measured %d requests, want 60 (warm-up excluded)", run.Overall.Requests)
	}
}

// TestErrorKinds checks the classification of unexpected statuses and
// expected non-2xx ones.
func TestErrorKinds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		case "/fail":
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, `load:
  stages: [{duration: 1s, rate: 30/s}]
requests:
  - {name: missing, path: /missing, expect: [404]}
  - {name: fail, path: /fail}
`)
	run, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	m, f := run.Endpoints["missing"], run.Endpoints["fail"]
	if m.Successes != m.Requests || m.StatusCodes["404"] != m.Requests {
		t.Errorf("expected 404s: %+v", m)
	}
	if f.Successes != 0 || f.Errors["status"] != f.Requests || f.ErrorRate != 1 {
		t.Errorf("unexpected 503s: %+v", f)
	}
}

// A slow target's last requests finish after the schedule ends; the rates
// are still per second of the schedule, not of the drain after it.
func TestAchievedRateExcludesDrain(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			time.Sleep(700 * time.Millisecond)
		}
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 2s, rate: 20/s}]\nrequests: [{name: a, path: /}]\n")
	run, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	r := run.Overall.Rate
	if r.Target < 19.5 || r.Target > 20.5 || r.Achieved < 19 || r.Achieved > 20.5 {
		t.Errorf("rate target %.2f achieved %.2f, want both about 20/s (requests %d)", r.Target, r.Achieved, run.Overall.Requests)
	}
}
