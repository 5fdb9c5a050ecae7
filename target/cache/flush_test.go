package cache_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/loadgate/loadgate/target/cache"
	"github.com/loadgate/loadgate/target/testdb"
)

// TestFlushPrefix: every key under the prefix goes, in batches (more keys
// than one batch), and no other key does.
func TestFlushPrefix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.RedisURL(t)
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	prefix := testdb.RedisPrefix(t) + "flush:"
	other := testdb.RedisPrefix(t) + "keep:"
	const n = 2500
	pipe := rdb.Pipeline()
	for i := range n {
		pipe.Set(ctx, fmt.Sprintf("%s%d", prefix, i), "v", 0)
	}
	pipe.Set(ctx, other+"1", "v", 0)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := cache.FlushPrefix(ctx, url, prefix)
	if err != nil || got != n {
		t.Fatalf("FlushPrefix = %d, %v; want %d", got, err, n)
	}
	if left, err := rdb.Keys(ctx, prefix+"*").Result(); err != nil || len(left) != 0 {
		t.Errorf("keys left under the prefix: %v (%v)", left, err)
	}
	if v, err := rdb.Get(ctx, other+"1").Result(); err != nil || v != "v" {
		t.Errorf("a key outside the prefix: %q, %v", v, err)
	}
	if _, err := cache.FlushPrefix(ctx, "redis://u:s3cr3t@[bad", prefix); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("a bad URL: %v (want an error without the password)", err)
	}
}
