package faults

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/loadgate/loadgate/redact"
)

// redisPause pauses every client of Redis (CLIENT PAUSE … ALL) for d.
//
// Subtleness ahead: during an ALL pause Redis holds every command, CLIENT
// UNPAUSE too (7.0, even on the connection that paused), so the pause is
// its own undo: it ends after d whatever happens to loadgate. Undo sends
// UNPAUSE, which Redis answers when the pause is over, and waits for that.
type redisPause struct {
	url string
	d   time.Duration
	// given says loadgate did not start this Redis: the pause outlives a
	// killed loadgate (until d is up).
	given bool

	mu  sync.Mutex // guards end
	end time.Time  // when the pause ends by itself
}

func (a *redisPause) Inject(ctx context.Context) error {
	a.mu.Lock()
	a.end = time.Now().Add(a.d)
	a.mu.Unlock()
	return a.do(ctx, time.Second, "CLIENT", "PAUSE", max(a.d.Milliseconds(), 1), "ALL")
}

// handUndo is redis-cli's UNPAUSE, for a Redis loadgate was given (one it
// started dies with it).
func (a *redisPause) handUndo() string {
	if !a.given {
		return ""
	}
	return fmt.Sprintf("redis-cli -u %s CLIENT UNPAUSE (the pause also ends by itself %s after it began)", redact.URL(a.url), a.d)
}

func (a *redisPause) Undo(ctx context.Context) error {
	a.mu.Lock()
	wait := time.Until(a.end)
	a.mu.Unlock()
	return a.do(ctx, max(wait, 0)+2*time.Second, "CLIENT", "UNPAUSE")
}

// do sends one command on a connection of its own; its reply may take up
// to wait.
func (a *redisPause) do(ctx context.Context, wait time.Duration, args ...any) error {
	opt, err := redis.ParseURL(a.url)
	if err != nil {
		return err
	}
	opt.MaxRetries, opt.ReadTimeout, opt.ContextTimeoutEnabled = -1, wait, true
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Do(ctx, args...).Err(); err != nil {
		return fmt.Errorf("redis %v: %w", args[:2], err)
	}
	return nil
}

// pgTerminate ends the client backends connected to the target's database
// (pg_terminate_backend), and no other database's: the pool must notice
// and reconnect. It is instant; Undo has nothing to do.
type pgTerminate struct{ url string }

func (a pgTerminate) Inject(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, a.url)
	if err != nil {
		return fmt.Errorf("connecting to terminate backends: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int
	err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n)
	if err != nil {
		return fmt.Errorf("terminating backends: %w", err)
	}
	return nil
}

func (pgTerminate) Undo(context.Context) error { return nil }
