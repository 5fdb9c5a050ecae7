package migrations_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/target/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// indexNames lists the non-constraint indexes of the public schema.
func indexNames(t *testing.T, url string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT indexname FROM pg_indexes
		WHERE schemaname = 'public' AND indexname LIKE '%\_idx' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func tableExists(t *testing.T, url, table string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, "public."+table).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// The round trip: up (with indexes), baseline (indexes rolled back), down one
// by one to nothing, up again; Status reflects each state.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	url := testdb.URL(t)

	if err := migrations.Up(ctx, url); err != nil {
		t.Fatalf("Up: %v", err)
	}
	want := []string{"api_keys_hash_idx", "food_words_trgm_idx", "foods_name_trgm_idx", "meals_user_day_idx",
		"memories_search_idx", "memories_user_idx", "messages_user_time_idx", "user_xp_total_idx"}
	if got := indexNames(t, url); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("indexes after Up = %v, want %v", got, want)
	}
	if ok, err := migrations.IndexesApplied(ctx, url); err != nil || !ok {
		t.Fatalf("IndexesApplied after Up = %v, %v; want true", ok, err)
	}

	// Baseline: the schema stays, the indexes go.
	if err := migrations.Up(ctx, url, migrations.WithoutIndexes()); err != nil {
		t.Fatalf("Up without indexes: %v", err)
	}
	if got := indexNames(t, url); len(got) != 0 {
		t.Fatalf("indexes in baseline = %v, want none", got)
	}
	if !tableExists(t, url, "messages") {
		t.Fatal("messages table gone in baseline")
	}
	if ok, _ := migrations.IndexesApplied(ctx, url); ok {
		t.Fatal("IndexesApplied in baseline = true")
	}

	// Back to optimized, then Down removes the indexes first, then the schema.
	if err := migrations.Up(ctx, url); err != nil {
		t.Fatalf("Up again: %v", err)
	}
	var status bytes.Buffer
	if err := migrations.Status(ctx, url, &status); err != nil {
		t.Fatalf("Status: %v", err)
	}
	if strings.Count(status.String(), "applied") != 4 {
		t.Fatalf("Status after Up, want 4 applied lines:\n%s", status.String())
	}
	// Down goes one migration at a time: the two index migrations first.
	for i := range 2 {
		if err := migrations.Down(ctx, url); err != nil {
			t.Fatalf("Down %d (indexes): %v", i, err)
		}
	}
	if got := indexNames(t, url); len(got) != 0 || !tableExists(t, url, "food_words") {
		t.Fatalf("after the index migrations went down: indexes %v, food_words table %v", got, tableExists(t, url, "food_words"))
	}
	if err := migrations.Down(ctx, url); err != nil {
		t.Fatalf("Down (schema 2): %v", err)
	}
	if tableExists(t, url, "food_words") || !tableExists(t, url, "users") {
		t.Fatal("Down of schema 2 did not drop just food_words")
	}
	if err := migrations.Down(ctx, url); err != nil {
		t.Fatalf("Down (schema 1): %v", err)
	}
	if tableExists(t, url, "users") {
		t.Fatal("users table still there after the schema went down")
	}
	if err := migrations.Down(ctx, url); err == nil || !strings.Contains(err.Error(), "no migration is applied") {
		t.Fatalf("Down on an empty database: err = %v, want 'no migration is applied'", err)
	}
	status.Reset()
	if err := migrations.Status(ctx, url, &status); err != nil {
		t.Fatalf("Status: %v", err)
	}
	if strings.Count(status.String(), "pending") != 4 {
		t.Fatalf("Status after Down, want 4 pending lines:\n%s", status.String())
	}

	if err := migrations.Up(ctx, url); err != nil {
		t.Fatalf("Up after Down: %v", err)
	}
	if got := indexNames(t, url); len(got) != len(want) {
		t.Fatalf("indexes after the round trip = %v", got)
	}
	if err := migrations.Reset(ctx, url); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if tableExists(t, url, "foods") {
		t.Fatal("foods table still there after Reset")
	}
}

func TestBadURLIsNamed(t *testing.T) {
	t.Parallel()
	err := migrations.Up(context.Background(), "postgres://u:secret@127.0.0.1:1/x?sslmode=bogus")
	if err == nil {
		t.Fatal("Up with a bad URL succeeded")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("error leaks the password: %v", err)
	}
}
