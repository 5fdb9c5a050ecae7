package target

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/loadgate/loadgate/target/cache"
	"github.com/loadgate/loadgate/target/store"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// boardFreshness is how long a rebuilt Redis leaderboard is trusted before it
// is rebuilt from PostgreSQL; it bounds how long an award whose Redis update
// failed (Redis down) can be missing from it.
const boardFreshness = 5 * time.Minute

// leaderboard keeps XP totals in a Redis sorted set and falls back to the
// indexed PostgreSQL query when Redis is off or down. Totals only grow, so
// updates use ZADD GT: whatever order concurrent updates arrive in, the set
// keeps the highest total, which is the latest.
type leaderboard struct {
	store   *store.Store
	redis   *cache.Redis
	off     bool // baseline profile: PostgreSQL only
	log     *slog.Logger
	rebuild singleflight.Group
}

func (l *leaderboard) key() string   { return l.redis.Key("leaderboard") }
func (l *leaderboard) ready() string { return l.redis.Key("leaderboard:ready") }

// awarded records a user's new total, already committed in PostgreSQL.
func (l *leaderboard) awarded(ctx context.Context, userID, total int64) {
	if l.off {
		return
	}
	err := l.redis.Do(ctx, func(ctx context.Context, c redis.UniversalClient) error {
		return c.ZAddGT(ctx, l.key(), redis.Z{Score: float64(total), Member: strconv.FormatInt(userID, 10)}).Err()
	})
	if err != nil {
		l.log.Debug("leaderboard update skipped", "user_id", userID, "error", err)
	}
}

// usable makes sure the Redis set is complete (rebuilding it if its marker
// expired) and reports whether Redis can answer.
func (l *leaderboard) usable(ctx context.Context) bool {
	if l.off || !l.redis.Available() {
		return false
	}
	var n int64
	err := l.redis.Do(ctx, func(ctx context.Context, c redis.UniversalClient) error {
		var err error
		n, err = c.Exists(ctx, l.ready()).Result()
		return err
	})
	if err != nil {
		return false
	}
	if n == 1 {
		return true
	}
	_, err, _ = l.rebuild.Do("rebuild", func() (any, error) {
		return nil, l.rebuildFromPostgres(context.WithoutCancel(ctx))
	})
	if err != nil {
		l.log.Warn("leaderboard rebuild failed; serving from PostgreSQL", "error", err)
		return false
	}
	return true
}

// rebuildTimeout bounds a rebuild of the Redis leaderboard.
const rebuildTimeout = 5 * time.Second

func (l *leaderboard) rebuildFromPostgres(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, rebuildTimeout)
	defer cancel()
	c := l.redis.Client()
	pipe := c.Pipeline()
	var members []redis.Z
	flush := func() error {
		if len(members) == 0 {
			return nil
		}
		pipe.ZAddGT(ctx, l.key(), members...)
		members = members[:0]
		return nil
	}
	err := l.store.AllXP(ctx, func(userID, total int64) error {
		members = append(members, redis.Z{Score: float64(total), Member: strconv.FormatInt(userID, 10)})
		if len(members) == 1000 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	flush()
	pipe.Set(ctx, l.ready(), time.Now().UTC().Format(time.RFC3339), boardFreshness)
	if _, err := pipe.Exec(ctx); err != nil {
		l.redis.Fail()
		return err
	}
	return nil
}

// top returns the first limit entries, ranked, and where they came from.
func (l *leaderboard) top(ctx context.Context, limit int) ([]store.XP, string, error) {
	if l.usable(ctx) {
		var zs []redis.Z
		err := l.redis.Do(ctx, func(ctx context.Context, c redis.UniversalClient) error {
			var err error
			zs, err = c.ZRevRangeWithScores(ctx, l.key(), 0, int64(limit-1)).Result()
			return err
		})
		if err == nil {
			xs := make([]store.XP, 0, len(zs))
			for _, z := range zs {
				id, perr := strconv.ParseInt(z.Member.(string), 10, 64)
				if perr != nil {
					continue
				}
				xs = append(xs, store.XP{UserID: id, Total: int64(z.Score)})
			}
			store.RankSorted(xs)
			return xs, "redis", nil
		}
	}
	xs, err := l.store.Leaderboard(ctx, limit)
	return xs, "postgres", err
}

// rank returns the user's total and rank.
func (l *leaderboard) rank(ctx context.Context, userID int64) (store.XP, string, error) {
	if l.usable(ctx) {
		x := store.XP{UserID: userID}
		err := l.redis.Do(ctx, func(ctx context.Context, c redis.UniversalClient) error {
			score, err := c.ZScore(ctx, l.key(), strconv.FormatInt(userID, 10)).Result()
			if err != nil {
				return err
			}
			above, err := c.ZCount(ctx, l.key(), "("+strconv.FormatInt(int64(score), 10), "+inf").Result()
			x.Total, x.Rank = int64(score), above+1
			return err
		})
		if err == nil {
			return x, "redis", nil
		}
		if !errors.Is(err, redis.Nil) {
			l.log.Debug("leaderboard rank from Redis failed", "error", err)
		}
		// Not in the set: no XP yet, or an unknown user; PostgreSQL knows which.
	}
	x, err := l.store.UserXP(ctx, userID)
	return x, "postgres", err
}
