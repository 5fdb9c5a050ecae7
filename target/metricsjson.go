package target

import (
	"net/http"
	"runtime"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// MetricsReport is the body of GET /api/v1/metrics: the Prometheus metrics
// summed up for people. Latency percentiles are estimated from the histogram
// buckets (linear within a bucket), as PromQL's histogram_quantile does.
type MetricsReport struct {
	UptimeSeconds float64                `json:"uptime_seconds"`
	Profile       string                 `json:"profile"`
	Routes        map[string]*RouteStats `json:"routes"`
	Caches        map[string]*CacheStats `json:"caches"`
	Cache         CacheTotals            `json:"cache"`
	Pool          PoolStats              `json:"db_pool"`
	// DBQueries are the PostgreSQL statement times by query name
	// (loadgate_db_query_duration_seconds); DBQueryAll is all of them.
	DBQueries  map[string]*QueryStats `json:"db_queries"`
	DBQueryAll QueryStats             `json:"db_query_all"`
	Redis      RedisStats             `json:"redis"`
	Goroutines int                    `json:"goroutines"`
	Memory     MemoryStats            `json:"memory"`
}

// RouteStats are one route's requests and latency.
type RouteStats struct {
	Requests uint64            `json:"requests"`
	Errors   uint64            `json:"errors"` // 5xx
	ByCode   map[string]uint64 `json:"by_code"`
	P50Ms    float64           `json:"p50_ms"`
	P95Ms    float64           `json:"p95_ms"`
	P99Ms    float64           `json:"p99_ms"`
}

// QueryStats are the count and time percentiles of PostgreSQL statements.
type QueryStats struct {
	Count uint64  `json:"count"`
	P50Ms float64 `json:"p50_ms"`
	P95Ms float64 `json:"p95_ms"`
	P99Ms float64 `json:"p99_ms"`
}

func queryStats(h *dto.Histogram) QueryStats {
	return QueryStats{Count: h.GetSampleCount(), P50Ms: quantile(h, 0.50) * 1000,
		P95Ms: quantile(h, 0.95) * 1000, P99Ms: quantile(h, 0.99) * 1000}
}

// addHistogram adds h's counts into sum; both have the same buckets.
func addHistogram(sum, h *dto.Histogram) {
	n := sum.GetSampleCount() + h.GetSampleCount()
	sum.SampleCount = &n
	if len(sum.Bucket) == 0 {
		for _, b := range h.GetBucket() {
			ub, c := b.GetUpperBound(), b.GetCumulativeCount()
			sum.Bucket = append(sum.Bucket, &dto.Bucket{UpperBound: &ub, CumulativeCount: &c})
		}
		return
	}
	for i, b := range h.GetBucket() {
		c := sum.Bucket[i].GetCumulativeCount() + b.GetCumulativeCount()
		sum.Bucket[i].CumulativeCount = &c
	}
}

// CacheStats are one cache's lookups as callers see them and per tier.
type CacheStats struct {
	Hits    uint64                       `json:"hits"`
	Misses  uint64                       `json:"misses"`
	HitRate float64                      `json:"hit_rate"`
	Tiers   map[string]map[string]uint64 `json:"tiers"`
}

// CacheTotals sum every cache.
type CacheTotals struct {
	Hits    uint64  `json:"hits"`
	Misses  uint64  `json:"misses"`
	HitRate float64 `json:"hit_rate"`
}

// PoolStats are the pgx pool's state.
type PoolStats struct {
	Acquired   int32   `json:"acquired"`
	Idle       int32   `json:"idle"`
	Max        int32   `json:"max"`
	Total      int32   `json:"total"`
	Acquires   int64   `json:"acquires"`
	Waits      int64   `json:"waits"`
	WaitTimeMs float64 `json:"wait_time_ms"`
}

// RedisStats say whether Redis is in use.
type RedisStats struct {
	Available bool  `json:"available"`
	Failures  int64 `json:"failures"`
}

// MemoryStats are the Go runtime's view of memory.
type MemoryStats struct {
	HeapAllocBytes uint64 `json:"heap_alloc_bytes"`
	SysBytes       uint64 `json:"sys_bytes"`
	NumGC          uint32 `json:"num_gc"`
}

func (s *Server) metricsJSON(w http.ResponseWriter, r *http.Request) {
	rep, err := s.Metrics()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// Metrics builds the JSON metrics report.
func (s *Server) Metrics() (*MetricsReport, error) {
	fams, err := s.metrics.reg.Gather()
	if err != nil {
		return nil, err
	}
	rep := &MetricsReport{
		UptimeSeconds: time.Since(s.started).Seconds(),
		Profile:       string(s.cfg.Profile),
		Routes:        map[string]*RouteStats{},
		Caches:        map[string]*CacheStats{},
		DBQueries:     map[string]*QueryStats{},
		Goroutines:    runtime.NumGoroutine(),
		Redis:         RedisStats{Available: s.redis.Available(), Failures: s.redis.Failures()},
	}
	route := func(name string) *RouteStats {
		if rep.Routes[name] == nil {
			rep.Routes[name] = &RouteStats{ByCode: map[string]uint64{}}
		}
		return rep.Routes[name]
	}
	cacheOf := func(name string) *CacheStats {
		if rep.Caches[name] == nil {
			rep.Caches[name] = &CacheStats{Tiers: map[string]map[string]uint64{}}
		}
		return rep.Caches[name]
	}
	allQueries := &dto.Histogram{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			l := labels(m)
			switch f.GetName() {
			case "loadgate_http_requests_total":
				rs := route(l["route"])
				n := uint64(m.GetCounter().GetValue())
				rs.Requests += n
				rs.ByCode[l["code"]] += n
				if l["code"] >= "500" {
					rs.Errors += n
				}
			case "loadgate_http_request_duration_seconds":
				rs := route(l["route"])
				h := m.GetHistogram()
				rs.P50Ms = quantile(h, 0.50) * 1000
				rs.P95Ms = quantile(h, 0.95) * 1000
				rs.P99Ms = quantile(h, 0.99) * 1000
			case "loadgate_db_query_duration_seconds":
				qs := queryStats(m.GetHistogram())
				rep.DBQueries[l["query"]] = &qs
				addHistogram(allQueries, m.GetHistogram())
			case "loadgate_cache_requests_total":
				cs := cacheOf(l["cache"])
				n := uint64(m.GetCounter().GetValue())
				if l["result"] == "hit" {
					cs.Hits += n
					rep.Cache.Hits += n
				} else {
					cs.Misses += n
					rep.Cache.Misses += n
				}
			case "loadgate_cache_lookups_total":
				cs := cacheOf(l["cache"])
				if cs.Tiers[l["tier"]] == nil {
					cs.Tiers[l["tier"]] = map[string]uint64{}
				}
				cs.Tiers[l["tier"]][l["result"]] += uint64(m.GetCounter().GetValue())
			}
		}
	}
	rep.DBQueryAll = queryStats(allQueries)
	for _, cs := range rep.Caches {
		cs.HitRate = rate(cs.Hits, cs.Misses)
	}
	rep.Cache.HitRate = rate(rep.Cache.Hits, rep.Cache.Misses)

	st := s.pool.Stat()
	rep.Pool = PoolStats{Acquired: st.AcquiredConns(), Idle: st.IdleConns(), Max: st.MaxConns(), Total: st.TotalConns(),
		Acquires: st.AcquireCount(), Waits: st.EmptyAcquireCount(), WaitTimeMs: float64(st.EmptyAcquireWaitTime().Microseconds()) / 1000}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.Memory = MemoryStats{HeapAllocBytes: ms.HeapAlloc, SysBytes: ms.Sys, NumGC: ms.NumGC}
	return rep, nil
}

func labels(m *dto.Metric) map[string]string {
	l := make(map[string]string, len(m.GetLabel()))
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

func rate(hits, misses uint64) float64 {
	if hits+misses == 0 {
		return 0
	}
	return float64(hits) / float64(hits+misses)
}

// quantile estimates the q-quantile of a cumulative histogram, interpolating
// linearly inside the bucket it falls in; past the last bound it is that bound.
func quantile(h *dto.Histogram, q float64) float64 {
	total := float64(h.GetSampleCount())
	if total == 0 {
		return 0
	}
	buckets := h.GetBucket()
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].GetUpperBound() < buckets[j].GetUpperBound() })
	rank := q * total
	lower, below := 0.0, 0.0
	for _, b := range buckets {
		upper, count := b.GetUpperBound(), float64(b.GetCumulativeCount())
		if count >= rank {
			if count == below {
				return upper
			}
			return lower + (upper-lower)*(rank-below)/(count-below)
		}
		lower, below = upper, count
	}
	if len(buckets) == 0 {
		return 0
	}
	return buckets[len(buckets)-1].GetUpperBound()
}
