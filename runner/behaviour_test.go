package runner

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
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
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
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
// distribution (90% 10 ms, 10% 60 ms) end to end. Its figures are checked
// against what the server measured of each request, not against
// wall-clock margins: a loaded machine adds to what the client sees
// (scheduling, loopback, connecting) without bound, even to the median,
// and never takes from it. The exact figures from given results are
// TestRecorderLatencyAccuracy's.
func TestLatencyAccuracy(t *testing.T) {
	var n atomic.Int64
	var mu sync.Mutex
	var served []float64 // µs, each answered request's time in the handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		began := time.Now()
		d := 10 * time.Millisecond
		if n.Add(1)%10 == 0 {
			d = 60 * time.Millisecond
		}
		time.Sleep(d)
		took := time.Since(began)
		mu.Lock()
		served = append(served, float64(took.Microseconds()))
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 2s, rate: 100/s}]\nrequests: [{name: a, path: /}]\n")
	began := time.Now()
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	checkLogs(t, dir)
	srv.Close() // every handler has returned
	mu.Lock()
	defer mu.Unlock()
	sort.Float64s(served)
	svc, ok := run.Overall.ServiceTimeUS, run.Overall.ServiceTimeOKUS
	m := int(run.Overall.Successes)
	if ok == nil || m < 100 || m > len(served) {
		t.Fatalf("%d successes (service time %+v), the server answered %d", m, ok, len(served))
	}
	// Every successful request's service time holds its time in the
	// handler, so the k-th smallest of the m successes is at least the
	// k-th smallest of the n >= m handler times, and at least the sleep
	// (0.1 %: the histograms' precision).
	rank := func(q float64) float64 { return served[max(int(math.Ceil(q*float64(m)))-1, 0)] }
	floor := func(name string, got, slept, handler float64) {
		if want := max(slept, handler); got < want*0.999 {
			t.Errorf("%s = %.0f µs, below the %.0f µs the server took for it (slept %.0f µs)", name, got, handler, slept)
		}
	}
	floor("min", ok.Min, 10_000, rank(0))
	floor("p50", ok.P50, 10_000, rank(0.50))
	floor("p95", ok.P95, 60_000, rank(0.95))
	floor("max", ok.Max, 60_000, rank(1))
	// Above: a service time is within its corrected latency (measured from
	// when it was due), and no request took longer than the run.
	lat := run.Overall.LatencyUS
	if !(svc.Min <= svc.P50 && svc.P50 <= svc.P95 && svc.P95 <= svc.Max) {
		t.Errorf("service time out of order: %+v", svc)
	}
	if lat.P50 < svc.P50 || lat.P95 < svc.P95 || lat.Max < svc.Max {
		t.Errorf("corrected %+v below uncorrected %+v", lat, svc)
	}
	if svc.Max > float64(took.Microseconds()) {
		t.Errorf("max service time %.0f µs, longer than the whole run (%s)", svc.Max, took)
	}
}

// TestRecorderLatencyAccuracy: the service time and the corrected latency
// run.json reports are the results' own, to the histograms' precision:
// 180 requests of 10 ms and 20 of 60 ms, each sent 5 ms after it was due.
// No clock is read.
func TestRecorderLatencyAccuracy(t *testing.T) {
	t.Parallel()
	due := map[uint64]time.Duration{}
	for k := range uint64(200) {
		due[k] = time.Duration(k) * 10 * time.Millisecond
	}
	rec, _, origin := testRecorder(t, 0, due)
	for k := range uint64(200) {
		took := 10 * time.Millisecond
		if k%10 == 9 {
			took = 60 * time.Millisecond
		}
		rec.record(vegetaResult(origin, k, "a", due[k]+5*time.Millisecond, took, 200))
	}
	rec.flush(2*time.Second, 100, 0)
	st := rec.overall.stats(2, 100)
	near := func(name string, got, want float64) {
		if got < want || got > want*1.001 {
			t.Errorf("%s = %.0f µs, want %.0f µs (0.1 %%)", name, got, want)
		}
	}
	svc, lat := st.ServiceTimeUS, st.LatencyUS
	near("service min", svc.Min, 10_000)
	near("service p50", svc.P50, 10_000)
	near("service p90", svc.P90, 10_000)
	near("service p95", svc.P95, 60_000)
	near("service max", svc.Max, 60_000)
	near("service mean", svc.Mean, 15_000)
	near("corrected min", lat.Min, 15_000)
	near("corrected p50", lat.P50, 15_000)
	near("corrected p95", lat.P95, 65_000)
	near("corrected max", lat.Max, 65_000)
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
metrics:
  url: %s/metrics
  interval: 1s
`+testSeriesYAML, srv.URL))
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	s := run.Server
	if _, ok := s.Series["cache_hit_rate"]; !ok {
		t.Fatalf("no cache hit rate; notes %v, warnings %q", s.SeriesNotes, run.Warnings)
	}
	if v := s.Series; v["cache_hit_rate"] != 0.75 || v["hits"] != 300 || v["misses"] != 100 {
		t.Errorf("cache hits %v misses %v rate %v, want 300, 100, 0.75 (baseline subtracted)", v["hits"], v["misses"], v["cache_hit_rate"])
	}
	if v := s.Series; v[record.HarnessRSS] != 1.5e7 || v["goroutines"] != 42 {
		t.Errorf("server %+v", s)
	}
	// The plan records the series measured, the harness's first.
	if ps := run.Plan.Series; len(ps) != 13 || ps[0].Name != record.HarnessRSS || ps[4].Name != "cache_hit_rate" || ps[4].Over == nil {
		t.Errorf("plan series %+v", ps)
	}
	if s.Scrapes < 3 {
		t.Errorf("%d scrapes, want the baseline, periodic ones and the last", s.Scrapes)
	}
	tl, err := record.ReadTimeline(dir)
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
	sc := scenarioFor(t, srv.URL, fmt.Sprintf("load:\n  stages: [{duration: 1s, rate: 10/s}]\nrequests: [{name: a, path: /}]\nmetrics:\n  url: %s/metrics\n", srv.URL)+testSeriesYAML)
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	if v, ok := run.Server.Series["cache_hit_rate"]; ok {
		t.Errorf("cache hit rate %v from a target without the counter", v)
	}
	if why := run.Server.SeriesNotes["cache_hit_rate"]; !strings.Contains(why, "exposed no series of loadgate_cache_requests_total") {
		t.Errorf("cache_hit_rate's note %q does not name the missing metric", why)
	}
	if w := strings.Join(run.Warnings, " "); !strings.Contains(w, `loadgate_cache_requests_total{result="hit"} (read by hits, hits_per_s, cache_hit_rate)`) {
		t.Errorf("warnings %q do not name the missing metric", run.Warnings)
	}
}

// TestAbort cancels a run while some requests hang: the run stops at once
// (it does not wait for them), writes what it recorded as aborted, and does
// not count the cancelled requests as errors. The interrupt comes when the
// server holds five hanging requests, whatever the machine's speed.
func TestAbort(t *testing.T) {
	run, dir, took, timeout, answered := interruptWhileHanging(t, 4, 5)
	checkLogs(t, dir)
	// A hanging request ends only when its connection closes: a run that
	// waited for them would last their timeout.
	if took >= timeout {
		t.Errorf("abort took %s, the requests' timeout: it waited for the hanging requests", took)
	}
	if run.Status != record.StatusAborted {
		t.Errorf("status %q, want aborted", run.Status)
	}
	// Every recorded request that was sent succeeded (the cut ones are not
	// recorded), at most those the server answered; no more were counted
	// than were due while Run ran.
	o := run.Overall
	if o.Successes < 1 || o.Successes > answered || o.Successes != o.Requests-o.Unsent || o.Requests > int64(20*took.Seconds())+1 {
		t.Errorf("recorded %d requests (%d ok, %d unsent, errors %v) in %s at 20/s; the server answered %d and held 5", o.Requests, o.Successes, o.Unsent, o.Errors, took, answered)
	}
	back, err := record.ReadRun(dir)
	if err != nil || back.Status != record.StatusAborted {
		t.Errorf("run.json: %v, %+v", err, back)
	}
}

// TestInterruptCountsNoCutRequest: requests cut by an interrupt measured
// nothing about the target and are never counted as failures. The
// interrupt must reach them through the run's loop, which first marks the
// recorder as aborting: when it closed their connections by itself (the
// attack's context was a child of the run's), a cut request whose result
// the loop took before the interrupt was counted as an error (TestAbort
// failed so on a loaded machine). Here the loop is held in a progress
// write while the run is interrupted.
func TestInterruptCountsNoCutRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const hanging = 5
	var n, held atomic.Int64
	heldAll, cut, release := make(chan struct{}), make(chan struct{}, 1000), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" || n.Add(1)%2 != 0 {
			return
		}
		if held.Add(1) == hanging {
			close(heldAll)
		}
		select {
		case <-release:
		case <-r.Context().Done():
			cut <- struct{}{}
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 30s, rate: 20/s}]\nrequests: [{name: a, path: /}]\n")
	progress := &heldWriter{entered: make(chan struct{}), open: make(chan struct{})}
	type ran struct {
		run *record.Run
		err error
	}
	done := make(chan ran, 1)
	go func() {
		run, _, err := runWritten(ctx, sc, WithResultsRoot(t.TempDir()), WithProgress(progress), WithProgressTTY(false), WithProgressEvery(time.Second))
		done <- ran{run, err}
	}()
	<-heldAll
	progress.hold()
	<-progress.entered // the loop is in a tick, writing
	cancel()
	// While the loop has not seen the interrupt, nothing may cut a
	// request: a correct runner waits out this second with every request
	// still held; a wrong one closes their connections within it.
	select {
	case <-cut:
		t.Error("the interrupt closed a request's connection before the run's loop saw it")
	case <-time.After(time.Second):
	}
	close(progress.open)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if o := r.run.Overall; r.run.Status != record.StatusAborted || o.Successes != o.Requests-o.Unsent {
		t.Errorf("status %s: %d requests, %d ok, %d unsent: cut requests counted as %v", r.run.Status, o.Requests, o.Successes, o.Unsent, o.Errors)
	}
}

// heldWriter passes writes through until hold is called; the next write
// then says it entered and waits for open.
type heldWriter struct {
	mu            sync.Mutex
	held          bool
	entered, open chan struct{}
}

func (w *heldWriter) hold() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.held = true
}

func (w *heldWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	held := w.held
	w.held = false
	w.mu.Unlock()
	if held {
		close(w.entered)
		<-w.open
	}
	return len(p), nil
}

// interruptWhileHanging runs 30 s at 20/s against a server that holds
// every every-th request until its connection closes, and cancels the run
// when it holds hanging of them; it returns the run, how long Run took and
// the requests' timeout, and how many requests the server answered.
func interruptWhileHanging(t *testing.T, every, hanging int64) (*record.Run, string, time.Duration, time.Duration, int64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	var n, held, answered atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		if n.Add(1)%every != 0 {
			answered.Add(1)
			return
		}
		if held.Add(1) == hanging {
			cancel()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 30s, rate: 20/s}]\nrequests: [{name: a, path: /}]\n")
	const timeout = 25 * time.Second
	sc.Target.Timeout = scenarios.Duration(timeout)
	start := time.Now()
	run, dir, err := runWritten(ctx, sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	srv.Close() // every handler has returned
	return run, dir, took, timeout, answered.Load()
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
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
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
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	data, err := os.ReadFile(filepath.Join(dir, record.HlogFile))
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
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
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
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	r := run.Overall.Rate
	if r.Target < 19.5 || r.Target > 20.5 || r.Achieved < 19 || r.Achieved > 20.5 {
		t.Errorf("rate target %.2f achieved %.2f, want both about 20/s (requests %d)", r.Target, r.Achieved, run.Overall.Requests)
	}
}
