package record

// Keys of timeline.json's Point.Server: what the runner read from the
// target per interval (its Prometheus metrics and Server-Timing headers),
// and what the report draws from it.
const (
	// Gauges, as last scraped in the interval.
	ServerRSSBytes       = "rss_bytes"
	ServerGoroutines     = "goroutines"
	ServerDBPoolAcquired = "db_pool_acquired"
	ServerDBPoolMax      = "db_pool_max"
	// Counters' increases over the interval.
	ServerDBPoolWaitMs        = "db_pool_wait_ms"
	ServerDBPoolEmptyAcquires = "db_pool_empty_acquires"
	ServerCacheHits           = "cache_hits"
	ServerCacheMisses         = "cache_misses"
	ServerDBQueries           = "db_queries"
	ServerRestarts            = "restarts"
	// Derived: hits over lookups, and the DB query histogram's P95.
	ServerCacheHitRate = "cache_hit_rate"
	ServerDBQueryP95Ms = "db_query_p95_ms"

	// The target's Server-Timing split: ServerTimingPrefix+name is the mean
	// duration in milliseconds of that entry over the interval's responses
	// that carried it, and ServerTimingCountPrefix+name is how many
	// responses carried it, so that shards merge exactly (sum of mean×count
	// over the sum of counts). The count key does not start with
	// ServerTimingPrefix: every key that does is a duration the report
	// draws.
	ServerTimingPrefix      = "server_timing_"
	ServerTimingCountPrefix = "count_server_timing_"
)
