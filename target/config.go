package target

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/loadgate/loadgate/target/agent"
	"github.com/loadgate/loadgate/target/cache"
)

// Profile selects what the target optimizes: the same handlers run in both,
// so a run of each measures what the optimizations do.
type Profile string

// Profiles.
const (
	// Optimized: the tiered cache on, the performance indexes applied, the
	// pool sized from the CPU count.
	Optimized Profile = "optimized"
	// Baseline: no cache, the performance indexes rolled back, a small pool.
	Baseline Profile = "baseline"
)

// Check reports a profile that is neither Optimized nor Baseline, as
// `"fast": want "optimized" or "baseline"`; the caller says where it came
// from (a flag, a variable, a field).
func (p Profile) Check() error {
	switch p {
	case Optimized, Baseline:
		return nil
	}
	return fmt.Errorf("%q: want %q or %q", string(p), Optimized, Baseline)
}

// Defaults of Config.
const (
	DefaultAddr            = "127.0.0.1:8080"
	DefaultRedisURL        = "redis://127.0.0.1:6379/0"
	DefaultKeyPrefix       = "loadgate:"
	DefaultShutdownTimeout = 15 * time.Second
	// BaselinePoolSize is the pool of the baseline profile.
	BaselinePoolSize = 2
	// DefaultAPIKey is the key the seed stores and the built-in scenarios send.
	DefaultAPIKey = "dev-key"
	// DefaultStreamWriteTimeout bounds each write of a streamed reply.
	DefaultStreamWriteTimeout = 10 * time.Second
)

// Config is everything the target needs. The zero value of each field is
// its documented default, except DatabaseURL, which is required.
type Config struct {
	// DatabaseURL is the PostgreSQL URL (required).
	DatabaseURL string
	// RedisURL is the Redis URL (default DefaultRedisURL).
	RedisURL string
	// Addr is where Run listens (default DefaultAddr).
	Addr string
	// Profile is Optimized (default) or Baseline.
	Profile Profile
	// PoolSize is the most PostgreSQL connections; 0 means 4 per CPU (at
	// least 4) in the optimized profile and BaselinePoolSize in the baseline.
	PoolSize int
	// KeyPrefix starts every Redis key (default DefaultKeyPrefix); the
	// dataset's generation and seed time are appended (store.DatasetID), so a
	// re-seeded database, or another database, gets keys of its own.
	KeyPrefix string
	// LLM configures the chat agent's language model (default: sim).
	LLM agent.Config
	// PprofAddr, when set, is where Serve also listens for net/http/pprof
	// (/debug/pprof/), apart from the API (default: off).
	PprofAddr string
	// SkipMigrate leaves the schema alone at start (default: migrate, which
	// also applies or rolls back the performance indexes for the profile).
	SkipMigrate bool
	// Logger receives structured logs (default: discarded).
	Logger *slog.Logger
	// Version is reported by /api/health (default "dev").
	Version string
	// ShutdownTimeout bounds the drain of in-flight requests on shutdown
	// (default DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// RedisTimeout bounds every Redis call, so that a slow Redis costs a
	// request at most this much (default cache.DefaultRedisTimeout); it is
	// also the client's read and write timeout, twice it the dial timeout.
	RedisTimeout time.Duration
	// RedisBackoff is how long Redis is skipped after a failed call before
	// it is tried again (default cache.DefaultRedisBackoff).
	RedisBackoff time.Duration
	// StreamWriteTimeout bounds each event of a streamed chat reply: a
	// client that reads none of it for this long is given up, so a slow
	// reader cannot hold a stream open forever (default
	// DefaultStreamWriteTimeout).
	StreamWriteTimeout time.Duration
}

// withDefaults returns c with its defaults filled in, or an error naming the
// field that is wrong.
func (c Config) withDefaults() (Config, error) {
	if c.DatabaseURL == "" {
		return c, fmt.Errorf("config: DatabaseURL is required")
	}
	if c.RedisURL == "" {
		c.RedisURL = DefaultRedisURL
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Profile == "" {
		c.Profile = Optimized
	}
	if err := c.Profile.Check(); err != nil {
		return c, fmt.Errorf("config: profile %w", err)
	}
	if c.PoolSize < 0 {
		return c, fmt.Errorf("config: pool size %d: want 0 (automatic) or more", c.PoolSize)
	}
	if c.PoolSize == 0 {
		c.PoolSize = BaselinePoolSize
		if c.Profile == Optimized {
			c.PoolSize = max(4, 4*runtime.NumCPU())
		}
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = DefaultKeyPrefix
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.RedisTimeout <= 0 {
		c.RedisTimeout = cache.DefaultRedisTimeout
	}
	if c.RedisBackoff <= 0 {
		c.RedisBackoff = cache.DefaultRedisBackoff
	}
	if c.StreamWriteTimeout <= 0 {
		c.StreamWriteTimeout = DefaultStreamWriteTimeout
	}
	return c, nil
}
