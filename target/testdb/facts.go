package testdb

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/loadgate/loadgate/target/store"
)

// Facts are what putting the reference target's database back (store's
// Snapshot.Restore, compare) must restore: the rows of every table a load
// writes, user_xp, and the meals sequence.
type Facts struct {
	Counts map[string]int64
	XP     string
	NextID int64 // the meals sequence's next value, peeked without taking it
}

// ReadFacts reads the Facts of the migrated database at url.
func ReadFacts(tb testing.TB, url string) Facts {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	f := Facts{Counts: map[string]int64{}}
	for _, t := range append(store.LoadTables(), "user_xp") {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{t}.Sanitize()).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		f.Counts[t] = n
	}
	if err := conn.QueryRow(ctx, "SELECT coalesce(string_agg(user_id || '=' || total, ',' ORDER BY user_id), '') FROM user_xp").Scan(&f.XP); err != nil {
		tb.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM meals_id_seq").Scan(&f.NextID); err != nil {
		tb.Fatal(err)
	}
	return f
}
