package cache

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/loadgate/loadgate/redact"
)

// FlushPrefix deletes every key under prefix in the Redis at redisURL (the
// target's cache: its key prefix), so that each run starts with the same
// cold cache; it returns how many keys it deleted.
func FlushPrefix(ctx context.Context, redisURL, prefix string) (int, error) {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return 0, fmt.Errorf("redis URL %s: %w", redact.URL(redisURL), redact.Error(err))
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	n := 0
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
			return fmt.Errorf("deleting the cache keys %s*: %w", prefix, err)
		}
		n += len(batch)
		batch = batch[:0]
		return nil
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return n, fmt.Errorf("scanning the cache keys %s*: %w", prefix, err)
	}
	return n, flush()
}
