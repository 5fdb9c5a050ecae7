package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// liveValues sums each live metric over its series: counters and gauges by
// value, the histogram by its sample count.
func liveValues(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Error(err)
		return nil
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				out[f.GetName()] += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[f.GetName()] += m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[f.GetName()] += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// TestLiveMetricsMove: while a run lasts, each live metric moves, and at its
// end the counters agree with run.json.
func TestLiveMetricsMove(t *testing.T) {
	// 300 ms answers through at most 3 workers: about 10/s get through a
	// schedule of 60 requests in 2 s, so requests stay in flight and some are
	// never sent.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			time.Sleep(300 * time.Millisecond)
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	yaml := "load:\n  max_workers: 3\n  stages: [{duration: 1s, rate: 0 -> 40/s}, {duration: 1s, rate: 40/s}]\nrequests:\n  - {name: a, path: /a}\n  - {name: b, path: /b}\n"
	reg := prometheus.NewRegistry()

	done := make(chan struct{})
	seen := make(chan map[string][]float64, 1)
	go func() {
		values := map[string][]float64{}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				seen <- values
				return
			case <-tick.C:
				for name, v := range liveValues(t, reg) {
					values[name] = append(values[name], v)
				}
			}
		}
	}()
	run, _, err := runWritten(context.Background(), scenarioFor(t, srv.URL, yaml), WithResultsRoot(t.TempDir()), WithMetrics(reg))
	close(done)
	during := <-seen
	if err != nil {
		t.Fatal(err)
	}
	moved := func(name string, ok func([]float64) bool) {
		if vs := during[name]; !ok(vs) {
			t.Errorf("%s during the run: %v", name, vs)
		}
	}
	rising := func(vs []float64) bool { return len(vs) > 1 && vs[0] < vs[len(vs)-1] }
	positive := func(vs []float64) bool { return slicesMax(vs) > 0 }
	moved(LiveRequests, rising)
	moved(LiveDuration, rising)
	moved(LiveInFlight, positive)
	moved(LiveTargetRate, func(vs []float64) bool { return positive(vs) && slicesMin(vs) < slicesMax(vs) })

	end := liveValues(t, reg)
	o := run.Overall
	if o.Unsent == 0 || end[LiveUnsent] != float64(o.Unsent) {
		t.Errorf("%s = %v, run.json unsent %d (want it > 0)", LiveUnsent, end[LiveUnsent], o.Unsent)
	}
	if sent := float64(o.Requests - o.Unsent); end[LiveRequests] != sent || end[LiveDuration] != sent {
		t.Errorf("%s = %v, %s count %v; run.json: %v requests sent", LiveRequests, end[LiveRequests], LiveDuration, end[LiveDuration], sent)
	}
	// The labels: run id, shard, endpoint and code.
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != LiveRequests {
			continue
		}
		for _, m := range f.GetMetric() {
			l := labelMap(m)
			if l["run"] != run.ID || l["shard"] != "1/1" || l["scenario"] != "test" || (l["endpoint"] != "a" && l["endpoint"] != "b") || l["code"] != "200" {
				t.Errorf("series %v", l)
			}
		}
	}
}

func labelMap(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func slicesMax(vs []float64) float64 {
	m := 0.0
	for _, v := range vs {
		m = max(m, v)
	}
	return m
}

func slicesMin(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	m := vs[0]
	for _, v := range vs {
		m = min(m, v)
	}
	return m
}

// TestLiveObserveAllocatesNothing guards the hot path with live metrics on.
func TestLiveObserveAllocatesNothing(t *testing.T) {
	l, err := newLive(prometheus.NewRegistry(), "r", "1/1", "s", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 { // the histograms' native buckets exist once seen
		l.observe(i%3, 200, kindOK, time.Duration(i)*time.Millisecond)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		l.observe(1, 503, kindStatus, 20*time.Millisecond)
		l.observe(-1, 0, kindTimeout, 30*time.Second)
	})
	if allocs != 0 {
		t.Errorf("observe allocates %v times", allocs)
	}
}
