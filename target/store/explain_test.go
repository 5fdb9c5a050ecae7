package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/store"
	"github.com/loadgate/loadgate/target/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func plan(t *testing.T, pool *pgxpool.Pool, q store.HotQuery, noSeqScan bool) string {
	t.Helper()
	ctx := context.Background()
	var out []string
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for k, v := range store.OptimizedSettings() {
			if _, err := tx.Exec(ctx, "SELECT set_config($1, $2, true)", k, v); err != nil {
				return err
			}
		}
		if noSeqScan {
			if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, "EXPLAIN "+q.SQL, q.Args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", q.Name, err)
	}
	return strings.Join(out, "\n")
}

// Each hot query's plan uses its index in the optimized profile, and none
// is there in the baseline profile.
func TestHotQueriesUseTheirIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.URL(t)
	if err := migrations.Up(ctx, url); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	opts := seed.Small()
	// Enough rows for the planner to want the indexes of the big tables.
	opts.Messages, opts.Foods = 50_000, 20_000
	if err := seed.Seed(ctx, pool, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	for _, q := range store.HotQueries() {
		t.Run(q.Name, func(t *testing.T) {
			if n := store.QueryName(q.SQL); n == "other" || strings.ContainsAny(n, " \n") {
				t.Fatalf("statement has no /*q:name*/ comment (name %q):\n%s", n, q.SQL)
			}
			p := plan(t, pool, q, q.SmallTable)
			used := false
			for _, idx := range strings.Split(q.Index, "|") {
				used = used || strings.Contains(p, idx)
			}
			if !used {
				t.Fatalf("plan does not use %s:\n%s", q.Index, p)
			}
		})
	}

	if err := migrations.Up(ctx, url, migrations.WithoutIndexes()); err != nil {
		t.Fatal(err)
	}
	pool.Reset() // drop cached plans of the dropped indexes
	for _, q := range store.HotQueries() {
		if p := plan(t, pool, q, false); strings.Contains(p, "_idx") {
			t.Fatalf("baseline plan of %s uses an index:\n%s", q.Name, p)
		}
	}
	if p := plan(t, pool, store.HotQueries()[0], false); !strings.Contains(p, "Seq Scan on messages") {
		t.Fatalf("baseline history plan:\n%s", p)
	}
}
