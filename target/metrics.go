package target

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/loadgate/loadgate/target/cache"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the target's Prometheus metrics, on a registry of its own; the
// names are the runner's contract (docs/CONTRACT.md).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	dbQuery  *prometheus.HistogramVec
	cache    *cache.Metrics
	stream   streamMetrics
	// dbObservers holds the dbQuery observer of each query name, so a
	// query's timing needs no label lookup.
	dbObservers sync.Map // string → prometheus.Observer
}

// dbQueryBuckets resolve a P95 below 5 ms: 0.1 ms up to 1 s.
var dbQueryBuckets = []float64{.0001, .0002, .0003, .0005, .00075, .001, .0015, .002, .003, .004, .005, .0075, .01, .025, .05, .1, .25, .5, 1}

// latencyBuckets reach from a cache hit (0.1 ms) to a slow chat (10 s).
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5, 10}

// tokenGapBuckets resolve the gaps of a fast model (a few ms) up to 1 s.
var tokenGapBuckets = []float64{.0005, .001, .002, .005, .0075, .01, .015, .02, .03, .05, .075, .1, .25, .5, 1}

// streamMetrics are those of streamed chat replies, by route ("chat",
// "chat_completions").
type streamMetrics struct {
	// streams counts streamed replies by how they ended (streamOutcomes).
	streams *prometheus.CounterVec
	// tokens counts the tokens sent in content chunks.
	tokens *prometheus.CounterVec
	// ttft is the time from the chat handler's start (the key checked) to
	// the first content chunk written; gap the time between two content
	// chunks.
	ttft, gap *prometheus.HistogramVec
}

// How a streamed reply ended (label outcome).
const (
	// streamCompleted: the reply was stored and data: [DONE] written.
	streamCompleted = "completed"
	// streamDisconnected: the client went away or stopped reading (a write
	// timed out) before [DONE].
	streamDisconnected = "disconnected"
	// streamFailed: the model or the database failed; the client got an
	// error (a status before the first chunk, an error event after).
	streamFailed = "failed"
)

func newStreamMetrics() streamMetrics {
	return streamMetrics{
		streams: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loadgate_chat_streams_total",
			Help: "Streamed chat replies, by route and how they ended (completed, disconnected, failed).",
		}, []string{"route", "outcome"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loadgate_chat_stream_tokens_total",
			Help: "Tokens sent in the content chunks of streamed chat replies, by route.",
		}, []string{"route"}),
		ttft: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "loadgate_chat_time_to_first_token_seconds",
			Help:    "Server-side time from a streamed chat request's handler start to its first content chunk written, by route.",
			Buckets: latencyBuckets,
		}, []string{"route"}),
		gap: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "loadgate_chat_inter_token_seconds",
			Help:    "Server-side time between two content chunks of a streamed chat reply, by route.",
			Buckets: tokenGapBuckets,
		}, []string{"route"}),
	}
}

// newMetrics registers every metric but the pool's (addPool does that once
// the pool exists: the pool's tracer needs the metrics first).
func newMetrics() (*metrics, error) {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loadgate_http_requests_total",
			Help: "HTTP requests served, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "loadgate_http_request_duration_seconds",
			Help:    "Server-side latency of HTTP requests, by route.",
			Buckets: latencyBuckets,
		}, []string{"route"}),
		dbQuery: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "loadgate_db_query_duration_seconds",
			Help:    "Time of PostgreSQL statements, from sending to the last row read, by query name.",
			Buckets: dbQueryBuckets,
		}, []string{"query"}),
		stream: newStreamMetrics(),
	}
	for _, c := range []prometheus.Collector{
		m.requests, m.duration, m.dbQuery,
		m.stream.streams, m.stream.tokens, m.stream.ttft, m.stream.gap,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	cm, err := cache.NewMetrics(m.reg)
	if err != nil {
		return nil, err
	}
	m.cache = cm
	return m, nil
}

// addPool registers the pool gauges and counters.
func (m *metrics) addPool(pool *pgxpool.Pool) error { return m.reg.Register(poolCollector{pool}) }

// observeQuery records one statement's time under its query name: the
// store.Tracer's Observe.
func (m *metrics) observeQuery(name string, d time.Duration) {
	o, ok := m.dbObservers.Load(name)
	if !ok {
		o, _ = m.dbObservers.LoadOrStore(name, m.dbQuery.WithLabelValues(name))
	}
	o.(prometheus.Observer).Observe(d.Seconds())
}

// statusText avoids an allocation for the common codes.
func statusText(code int) string {
	switch code {
	case 200:
		return "200"
	case 201:
		return "201"
	case 400:
		return "400"
	case 401:
		return "401"
	case 404:
		return "404"
	case 500:
		return "500"
	case 503:
		return "503"
	}
	return strconv.Itoa(code)
}

// poolCollector reads the pgx pool's statistics at scrape time.
type poolCollector struct{ pool *pgxpool.Pool }

var (
	poolAcquired = prometheus.NewDesc("loadgate_db_pool_acquired_conns", "PostgreSQL connections in use.", nil, nil)
	poolIdle     = prometheus.NewDesc("loadgate_db_pool_idle_conns", "Idle PostgreSQL connections in the pool.", nil, nil)
	poolMax      = prometheus.NewDesc("loadgate_db_pool_max_conns", "Most PostgreSQL connections the pool opens.", nil, nil)
	poolWait     = prometheus.NewDesc("loadgate_db_pool_acquire_wait_seconds_total", "Time spent waiting for a connection when the pool had none free.", nil, nil)
	poolEmpty    = prometheus.NewDesc("loadgate_db_pool_empty_acquire_total", "Acquires that had to wait because the pool had no free connection.", nil, nil)
)

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolAcquired, poolIdle, poolMax, poolWait, poolEmpty} {
		ch <- d
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolAcquired, prometheus.GaugeValue, float64(s.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.IdleConns()))
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, s.EmptyAcquireWaitTime().Seconds())
	ch <- prometheus.MustNewConstMetric(poolEmpty, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
