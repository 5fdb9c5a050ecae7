package runner

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Live metric names (docs/CONTRACT.md, "Live metrics"); every series has
// the constant labels run (the run id), shard ("i/N", "1/1" for a run that
// is not a shard) and scenario (its name, which the shards of one plan
// share while their run ids differ).
const (
	LiveRequests   = "loadgate_requests_total"
	LiveDuration   = "loadgate_request_duration_seconds"
	LiveInFlight   = "loadgate_in_flight"
	LiveTargetRate = "loadgate_target_rate"
	LiveUnsent     = "loadgate_unsent_total"
)

// liveBuckets are the classic buckets of the duration histogram, in
// seconds; a scraper that takes native histograms gets those instead.
var liveBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// otherEndpoint labels results that match no request of the mix.
const otherEndpoint = "other"

// live holds the Prometheus metrics of a run under way. The recorder's
// goroutine writes them with atomic adds (the counters) and the histograms'
// own lock-free Observe; a scrape reads them from another goroutine. It
// takes no lock on the hot path and allocates nothing there.
type live struct {
	endpoints []string // label values by endpoint index; the last is otherEndpoint
	// counts is one row per endpoint: an HTTP status code's count at its
	// code, a transport error's (no status) at maxStatus + its kind. A row
	// (5 KB) is made on the endpoint's first result, so that endpoints
	// declared and never used cost none; the recorder's goroutine makes it
	// and publishes it to the scrapes atomically.
	counts    []atomic.Pointer[liveRow]
	codeLabel [maxStatus + int(numKinds)]string
	durations []prometheus.Observer // by endpoint index

	requests   *prometheus.Desc
	inFlight   prometheus.Gauge
	targetRate prometheus.Gauge
	unsent     prometheus.Counter
}

// liveRow is one endpoint's counts (live.counts).
type liveRow [maxStatus + int(numKinds)]atomic.Uint64

// newLive registers a run's live metrics on reg.
func newLive(reg prometheus.Registerer, runID, shard, scenario string, endpoints []string) (*live, error) {
	labels := prometheus.Labels{"run": runID, "shard": shard, "scenario": scenario}
	l := &live{endpoints: append(append([]string(nil), endpoints...), otherEndpoint)}
	l.counts = make([]atomic.Pointer[liveRow], len(l.endpoints))
	for c := range maxStatus {
		l.codeLabel[c] = strconv.Itoa(c)
	}
	for k := range numKinds {
		l.codeLabel[maxStatus+int(k)] = k.name()
	}
	l.requests = prometheus.NewDesc(LiveRequests,
		"Requests completed, by endpoint and status code (a transport error's kind when there was no response: timeout, refused, reset, other), warm-up included.",
		[]string{"endpoint", "code"}, labels)
	durations := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:        LiveDuration,
		Help:        "Latency from each request's intended send time to its response (corrected for coordinated omission), warm-up included.",
		ConstLabels: labels, Buckets: liveBuckets,
		NativeHistogramBucketFactor:     1.1,
		NativeHistogramMaxBucketNumber:  160,
		NativeHistogramMinResetDuration: time.Hour,
	}, []string{"endpoint"})
	for _, ep := range l.endpoints {
		l.durations = append(l.durations, durations.WithLabelValues(ep))
	}
	l.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: LiveInFlight, ConstLabels: labels,
		Help: "Requests sent and not yet answered, at the last second's end."})
	l.targetRate = prometheus.NewGauge(prometheus.GaugeOpts{Name: LiveTargetRate, ConstLabels: labels,
		Help: "The scheduled level over the last second: requests per second (open model) or users (closed model)."})
	l.unsent = prometheus.NewCounter(prometheus.CounterOpts{Name: LiveUnsent, ConstLabels: labels,
		Help: "Requests the schedule had due that were never sent, counted when the attack ends."})
	for _, c := range []prometheus.Collector{l, durations, l.inFlight, l.targetRate, l.unsent} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering the live metrics: %w", err)
		}
	}
	return l, nil
}

// observe counts one result of endpoint ep (-1: none of the mix) that
// answered code (0: none, then k says why) after latency. This is the hot
// path: it allocates only an endpoint's row, on its first result.
func (l *live) observe(ep int, code int, k kind, latency time.Duration) {
	if ep < 0 || ep >= len(l.endpoints)-1 {
		ep = len(l.endpoints) - 1
	}
	idx := code
	if code <= 0 {
		idx = maxStatus + int(k)
	} else if code >= maxStatus {
		idx = maxStatus - 1
	}
	row := l.counts[ep].Load()
	if row == nil {
		row = new(liveRow)
		l.counts[ep].Store(row)
	}
	row[idx].Add(1)
	l.durations[ep].Observe(latency.Seconds())
}

// Describe implements prometheus.Collector for the request counter.
func (l *live) Describe(ch chan<- *prometheus.Desc) { ch <- l.requests }

// Collect implements prometheus.Collector: one series per endpoint and code
// seen so far.
func (l *live) Collect(ch chan<- prometheus.Metric) {
	for ep, name := range l.endpoints {
		row := l.counts[ep].Load()
		if row == nil {
			continue
		}
		for idx := range row {
			if n := row[idx].Load(); n > 0 {
				ch <- prometheus.MustNewConstMetric(l.requests, prometheus.CounterValue, float64(n), name, l.codeLabel[idx])
			}
		}
	}
}
