package seed_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/services"
	"github.com/loadgate/loadgate/target/testdb"
)

// TestStackSavedRestores: the state saved before set-up (a database migrated
// without the performance indexes, holding no data) comes back after
// Restore, though set-up migrated it with the indexes and seeded it and a
// run then wrote rows and cache keys; FlushCache deletes the prefix's keys
// and only those.
func TestStackSavedRestores(t *testing.T) {
	ctx := context.Background()
	url, redisURL := testdb.Fresh(t), testdb.RedisURL(t)
	prefix := fmt.Sprintf("loadgate-saved-test-%d:", time.Now().UnixNano())
	if err := migrations.Up(ctx, url, migrations.WithoutIndexes()); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	stack, saved, err := seed.StackSaved(ctx, tiny, &log, prefix, services.WithURLs(url, redisURL), services.WithoutThrowaway())
	if err != nil {
		t.Fatalf("StackSaved: %v\nlog: %s", err, log.String())
	}
	defer stack.Stop()
	if saved.IndexesApplied() {
		t.Error("IndexesApplied: true, but they were not before set-up")
	}
	if now, err := migrations.IndexesApplied(ctx, url); err != nil || !now {
		t.Fatalf("after set-up indexes applied = %v, %v; want true (migrated)", now, err)
	}
	meals := testdb.ReadFacts(t, url).Counts["meals"]

	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	other := prefix[:len(prefix)-1] + "-other:k"
	defer rdb.Del(ctx, other)
	for _, k := range []string{prefix + "a", prefix + "b", other} {
		if err := rdb.Set(ctx, k, "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := saved.FlushCache(ctx); err != nil || n != 2 {
		t.Errorf("FlushCache = %d, %v; want the prefix's 2 keys", n, err)
	}
	if n, _ := rdb.Exists(ctx, other).Result(); n != 1 {
		t.Errorf("FlushCache deleted %s, a key outside its prefix", other)
	}

	// A run: a meal logged, a key cached.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "INSERT INTO meals (user_id, food_id, grams, kcal, protein_g, carbs_g, fat_g, day) VALUES (1, 1, 100, 1, 1, 1, 1, current_date)"); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, prefix+"c", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}

	if err := saved.Restore(ctx, false); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if got := testdb.ReadFacts(t, url).Counts["meals"]; got != meals {
		t.Errorf("after Restore %d meals, want the %d saved", got, meals)
	}
	if n, _ := rdb.Exists(ctx, prefix+"c").Result(); n != 0 {
		t.Error("after Restore the run's cache key is still there")
	}
	if now, err := migrations.IndexesApplied(ctx, url); err != nil || now {
		t.Errorf("after Restore indexes applied = %v, %v; want false, as saved", now, err)
	}
}
