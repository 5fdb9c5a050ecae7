package cache

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the cache counters of the runner's contract (docs/CONTRACT.md):
// loadgate_cache_requests_total{cache,result} as callers see it and
// loadgate_cache_lookups_total{cache,tier,result} per tier.
type Metrics struct {
	Requests *prometheus.CounterVec
	Lookups  *prometheus.CounterVec
}

// Results of a lookup.
const (
	Hit     = "hit"
	Miss    = "miss"
	Error   = "error"   // the tier failed (Redis error or timeout)
	Skipped = "skipped" // the tier was not asked (Redis breaker open)
)

// Tiers.
const (
	TierMemory = "memory"
	TierRedis  = "redis"
)

// NewMetrics creates the counters and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loadgate_cache_requests_total",
			Help: "Cache lookups as callers see them: hit when any tier answered, miss when the source was read.",
		}, []string{"cache", "result"}),
		Lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loadgate_cache_lookups_total",
			Help: "Cache lookups per tier (memory, redis) and result (hit, miss, error, skipped).",
		}, []string{"cache", "tier", "result"}),
	}
	for _, c := range []prometheus.Collector{m.Requests, m.Lookups} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// counters are one cache's counters, resolved once so that counting on the
// hot path is an atomic add, not a label lookup.
type counters struct {
	hit, miss                                prometheus.Counter
	memHit, memMiss                          prometheus.Counter
	redisHit, redisMiss, redisErr, redisSkip prometheus.Counter
}

func (m *Metrics) counters(name string) counters {
	return counters{
		hit:       m.Requests.WithLabelValues(name, Hit),
		miss:      m.Requests.WithLabelValues(name, Miss),
		memHit:    m.Lookups.WithLabelValues(name, TierMemory, Hit),
		memMiss:   m.Lookups.WithLabelValues(name, TierMemory, Miss),
		redisHit:  m.Lookups.WithLabelValues(name, TierRedis, Hit),
		redisMiss: m.Lookups.WithLabelValues(name, TierRedis, Miss),
		redisErr:  m.Lookups.WithLabelValues(name, TierRedis, Error),
		redisSkip: m.Lookups.WithLabelValues(name, TierRedis, Skipped),
	}
}
