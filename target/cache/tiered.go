// Package cache is the reference target's tiered cache: an in-process tier
// (bounded LRU with TTL) in front of Redis in front of the source, usually
// PostgreSQL. Cache-aside: a miss in every tier calls the caller's loader and
// fills the tiers; one loader runs per key at a time (single-flight), TTLs get
// jitter so entries filled together do not expire together; writes invalidate
// both tiers here and, through Redis pub/sub, the in-process tier of other
// replicas. Every lookup is counted per cache, tier and result.
//
// Redis is optional at every moment: calls have a short timeout, and after a
// failure Redis is skipped for a backoff period (see Redis); the memory tier
// and the source then serve, and no request fails because of Redis.
//
// Values are opaque bytes (the target caches encoded JSON). It is not a
// general-purpose cache library: no per-entry options, no serialization.
package cache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// Defaults of a Tiered cache.
const (
	DefaultTTL        = 5 * time.Minute
	DefaultJitter     = 0.1 // ±10 % of the TTL
	DefaultMemoryTTL  = 30 * time.Second
	DefaultMemorySize = 10_000
	// LoadTimeout bounds one fill of a key (Redis lookup and source read),
	// which runs apart from any one caller's deadline.
	LoadTimeout = 10 * time.Second
)

// Config configures a Tiered cache. The zero values of the durations and
// sizes mean the defaults above.
type Config struct {
	// Name labels the metrics and prefixes the Redis keys ("food", "memory").
	Name string
	// TTL of Redis entries, before jitter.
	TTL time.Duration
	// Jitter is the fraction of the TTL added or removed at random per entry.
	Jitter float64
	// MemoryTTL of in-process entries; shorter than TTL, it bounds how stale
	// a replica can be when an invalidation message is lost.
	MemoryTTL time.Duration
	// MemorySize is the most entries the in-process tier holds.
	MemorySize int
	// NoMemory disables the in-process tier.
	NoMemory bool
	// Disabled turns the cache off: every Get calls the loader and counts a
	// miss (the baseline profile).
	Disabled bool
}

// Tiered is one named cache. It is safe for concurrent use.
type Tiered struct {
	cfg   Config
	redis *Redis  // nil: no Redis tier
	mem   *memory // nil: no memory tier
	c     counters
	group singleflight.Group
	bus   *Bus

	// invalidations counts Invalidate calls; a load that overlapped one does
	// not fill the tiers with what may be the value from before the write.
	invalidations atomic.Uint64
}

// New returns a cache; r may be nil (no Redis tier), bus may be nil (no
// cross-replica invalidation).
func New(cfg Config, r *Redis, m *Metrics, bus *Bus) *Tiered {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Jitter <= 0 {
		cfg.Jitter = DefaultJitter
	}
	if cfg.MemoryTTL <= 0 {
		cfg.MemoryTTL = DefaultMemoryTTL
	}
	if cfg.MemorySize <= 0 {
		cfg.MemorySize = DefaultMemorySize
	}
	t := &Tiered{cfg: cfg, redis: r, c: m.counters(cfg.Name), bus: bus}
	if !cfg.NoMemory && !cfg.Disabled {
		t.mem = newMemory(cfg.MemorySize, cfg.MemoryTTL, time.Now)
	}
	if cfg.Disabled {
		t.redis = nil
	}
	if bus != nil && t.mem != nil {
		bus.add(t)
	}
	return t
}

// Name is the cache's name.
func (t *Tiered) Name() string { return t.cfg.Name }

// Loader reads a value from the source on a miss.
type Loader func(ctx context.Context) ([]byte, error)

// Get returns the value of key from the first tier that has it, or from
// load, which then fills the tiers. hit reports whether a tier answered.
// An error of load is returned as is and nothing is cached.
func (t *Tiered) Get(ctx context.Context, key string, load Loader) (val []byte, hit bool, err error) {
	if t.cfg.Disabled {
		t.c.miss.Inc()
		val, err = load(ctx)
		return val, false, err
	}
	if t.mem != nil {
		if v, ok := t.mem.get(key); ok {
			t.c.memHit.Inc()
			t.c.hit.Inc()
			return v, true, nil
		}
		t.c.memMiss.Inc()
	}
	// Subtleness ahead: the leader's context must not cancel the followers'
	// load, so the flight runs on a context without the caller's deadline
	// or cancellation, bounded by LoadTimeout instead.
	res, err, _ := t.group.Do(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), LoadTimeout)
		defer cancel()
		return t.fill(fctx, key, load)
	})
	if err != nil {
		t.c.miss.Inc()
		return nil, false, err
	}
	f := res.(filled)
	if f.fromTier {
		t.c.hit.Inc()
	} else {
		t.c.miss.Inc()
	}
	return f.val, f.fromTier, nil
}

type filled struct {
	val      []byte
	fromTier bool
}

// fill looks in Redis, then loads from the source and fills the tiers.
func (t *Tiered) fill(ctx context.Context, key string, load Loader) (filled, error) {
	if t.redis != nil {
		var v []byte
		err := t.redis.Do(ctx, func(ctx context.Context, c redis.UniversalClient) error {
			var err error
			v, err = c.Get(ctx, t.redis.Key(key)).Bytes()
			return err
		})
		switch {
		case err == nil:
			t.c.redisHit.Inc()
			if t.mem != nil {
				t.mem.set(key, v, t.cfg.MemoryTTL)
			}
			return filled{val: v, fromTier: true}, nil
		case errors.Is(err, redis.Nil):
			t.c.redisMiss.Inc()
		case errors.Is(err, ErrSkipped):
			t.c.redisSkip.Inc()
		default:
			t.c.redisErr.Inc()
		}
	}
	before := t.invalidations.Load()
	v, err := load(ctx)
	if err != nil {
		return filled{}, err
	}
	if t.invalidations.Load() == before {
		t.store(ctx, key, v)
	}
	return filled{val: v}, nil
}

// store fills both tiers with v; a Redis failure is counted, never returned.
func (t *Tiered) store(ctx context.Context, key string, v []byte) {
	if t.mem != nil {
		t.mem.set(key, v, t.cfg.MemoryTTL)
	}
	if t.redis != nil {
		ttl := t.jittered()
		_ = t.redis.Do(ctx, func(ctx context.Context, c redis.UniversalClient) error {
			return c.Set(ctx, t.redis.Key(key), v, ttl).Err()
		})
	}
}

// jittered is the TTL moved at random by up to ±Jitter of itself.
func (t *Tiered) jittered() time.Duration {
	span := float64(t.cfg.TTL) * t.cfg.Jitter
	return t.cfg.TTL + time.Duration((rand.Float64()*2-1)*span)
}

// Invalidate removes key from both tiers and tells other replicas to drop it
// from their memory tier. It returns an error only when Redis was reachable
// and refused the delete; while Redis is skipped the entry there expires by
// its TTL.
func (t *Tiered) Invalidate(ctx context.Context, key string) error {
	t.invalidations.Add(1)
	if t.mem != nil {
		t.mem.delete(key)
	}
	if t.redis == nil {
		return nil
	}
	err := t.redis.Do(ctx, func(ctx context.Context, c redis.UniversalClient) error {
		if err := c.Del(ctx, t.redis.Key(key)).Err(); err != nil {
			return err
		}
		if t.bus != nil {
			return c.Publish(ctx, t.bus.channel, t.cfg.Name+"\x00"+key).Err()
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrSkipped) {
		return fmt.Errorf("invalidating %s %q: %w", t.cfg.Name, key, err)
	}
	return nil
}

// forget drops key from the memory tier (an invalidation from a replica).
func (t *Tiered) forget(key string) {
	t.invalidations.Add(1)
	if t.mem != nil {
		t.mem.delete(key)
	}
}
