package cache

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of a Redis tier.
const (
	// DefaultRedisTimeout bounds every Redis call, so a slow Redis costs a
	// request at most this much.
	DefaultRedisTimeout = 100 * time.Millisecond
	// DefaultRedisBackoff is how long Redis is skipped after a failure before
	// it is tried again.
	DefaultRedisBackoff = time.Second
)

// Redis is a go-redis client with a breaker: after a failed call, Redis is
// skipped for a backoff period, then tried again; so when Redis is down or
// slow, requests pay at most one short timeout per period, not one each.
type Redis struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
	backoff time.Duration
	now     func() time.Time

	downUntil atomic.Int64 // unix nanoseconds until which Redis is skipped
	failures  atomic.Int64 // calls that failed (for the JSON metrics)
}

// RedisOption configures NewRedis.
type RedisOption func(*Redis)

// WithTimeout sets the per-call timeout (default DefaultRedisTimeout).
func WithTimeout(d time.Duration) RedisOption { return func(r *Redis) { r.timeout = d } }

// WithBackoff sets how long Redis is skipped after a failure (default DefaultRedisBackoff).
func WithBackoff(d time.Duration) RedisOption { return func(r *Redis) { r.backoff = d } }

// withClock replaces time.Now in tests.
func withClock(now func() time.Time) RedisOption { return func(r *Redis) { r.now = now } }

// NewRedis wraps client; every key it builds starts with prefix.
func NewRedis(client redis.UniversalClient, prefix string, opts ...RedisOption) *Redis {
	r := &Redis{client: client, prefix: prefix, timeout: DefaultRedisTimeout, backoff: DefaultRedisBackoff, now: time.Now}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Client is the wrapped client.
func (r *Redis) Client() redis.UniversalClient { return r.client }

// Key is prefix + name.
func (r *Redis) Key(name string) string { return r.prefix + name }

// Available reports whether Redis is not being skipped after a failure.
func (r *Redis) Available() bool { return r.now().UnixNano() >= r.downUntil.Load() }

// Failures is the number of calls that failed so far.
func (r *Redis) Failures() int64 { return r.failures.Load() }

// ErrSkipped is returned by Do while Redis is being skipped.
var ErrSkipped = errors.New("redis skipped after a recent failure")

// Do runs f with the per-call timeout, unless Redis is being skipped. A
// failure other than redis.Nil opens the breaker for the backoff period.
func (r *Redis) Do(ctx context.Context, f func(ctx context.Context, c redis.UniversalClient) error) error {
	if !r.Available() {
		return ErrSkipped
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	err := f(ctx, r.client)
	if err != nil && !errors.Is(err, redis.Nil) {
		r.Fail()
	}
	return err
}

// Fail opens the breaker: Redis is skipped for the backoff period.
func (r *Redis) Fail() {
	r.failures.Add(1)
	r.downUntil.Store(r.now().Add(r.backoff).UnixNano())
}

// Ping checks Redis directly, ignoring the breaker, and closes the breaker
// when it answers.
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout*4)
	defer cancel()
	if err := r.client.Ping(ctx).Err(); err != nil {
		r.Fail()
		return err
	}
	r.downUntil.Store(0)
	return nil
}
