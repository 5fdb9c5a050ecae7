package store_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/store"
	"github.com/loadgate/loadgate/target/testdb"
)

// The speed goals of the store, per profile. Against the default data set
// (seed.Defaults(): 50,000 foods, 1,000,000 messages) set
// LOADGATE_BENCH_DATABASE_URL to a database seeded with it; otherwise the
// package's test database with seed.Small() is used and the figures say little.
// The benchmarks apply or drop the performance indexes for each profile.
//
//	go test -run XXX -bench . -benchtime 2000x ./target/store/

var benchSeed sync.Once

func benchURL(b *testing.B) string {
	if u := os.Getenv("LOADGATE_BENCH_DATABASE_URL"); u != "" {
		return u
	}
	url := testdb.URL(b)
	var err error
	benchSeed.Do(func() {
		if err = migrations.Up(context.Background(), url); err == nil {
			err = seed.SeedURL(context.Background(), url, seed.Small())
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	return url
}

// profilePool migrates for the profile and opens a pool as the target does.
func profilePool(b *testing.B, profile string) *store.Store {
	ctx := context.Background()
	url := benchURL(b)
	var opts []migrations.Option
	if profile == "baseline" {
		opts = append(opts, migrations.WithoutIndexes())
	}
	if err := migrations.Up(ctx, url, opts...); err != nil {
		b.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	if profile == "optimized" {
		for k, v := range store.OptimizedSettings() {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return store.New(pool)
}

// timed runs op b.N times and reports its latency percentiles.
func timed(b *testing.B, op func(i int) error) {
	h := hdrhistogram.New(1, 60_000_000, 3)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		h.RecordValue(time.Since(start).Microseconds())
	}
	b.StopTimer()
	b.ReportMetric(float64(h.ValueAtQuantile(50)), "p50-µs")
	b.ReportMetric(float64(h.ValueAtQuantile(95)), "p95-µs")
	b.ReportMetric(float64(h.ValueAtQuantile(99)), "p99-µs")
}

var searchTerms = []string{"salmon", "chicken breast", "greek yogurt", "bluebe", "brocoli", "oats", "peanut butter",
	"sweet potato", "chiken", "lentils", "organic spinach", "avocado", "tofu", "quinoa", "dark chocolate", "banana"}

func BenchmarkSearchFoods(b *testing.B) {
	for _, profile := range []string{"optimized", "baseline"} {
		b.Run(profile, func(b *testing.B) {
			s := profilePool(b, profile)
			ctx := context.Background()
			timed(b, func(i int) error {
				hits, err := s.SearchFoods(ctx, searchTerms[i%len(searchTerms)], 10)
				if err == nil && len(hits) == 0 {
					err = fmt.Errorf("no hits for %q", searchTerms[i%len(searchTerms)])
				}
				return err
			})
		})
	}
}

func BenchmarkHistory(b *testing.B) {
	for _, profile := range []string{"optimized", "baseline"} {
		b.Run(profile, func(b *testing.B) {
			s := profilePool(b, profile)
			ctx := context.Background()
			var users int64 = 50
			if os.Getenv("LOADGATE_BENCH_DATABASE_URL") != "" {
				users = int64(seed.Defaults().Users)
			}
			timed(b, func(i int) error {
				_, next, err := s.History(ctx, int64(i)%users+1, store.Cursor{}, 20)
				if err == nil && !next.IsZero() {
					_, _, err = s.History(ctx, int64(i)%users+1, next, 20)
				}
				return err
			})
		})
	}
}

func BenchmarkLeaderboardPostgres(b *testing.B) {
	for _, profile := range []string{"optimized", "baseline"} {
		b.Run(profile, func(b *testing.B) {
			s := profilePool(b, profile)
			ctx := context.Background()
			timed(b, func(i int) error {
				_, err := s.Leaderboard(ctx, 10)
				return err
			})
		})
	}
}
