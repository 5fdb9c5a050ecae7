package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/store"
	"github.com/loadgate/loadgate/target/testdb"
)

// writeLikeALoad writes what a load writes: a meal, messages, XP for an
// existing user and for a new one.
func writeLikeALoad(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		"INSERT INTO meals (user_id, food_id, grams, kcal, protein_g, carbs_g, fat_g, day) VALUES (1, 1, 100, 1, 1, 1, 1, current_date)",
		"INSERT INTO messages (user_id, role, content) VALUES (2, 'user', 'hi'), (2, 'assistant', 'hello')",
		"INSERT INTO xp_events (user_id, amount, reason) VALUES (1, 10, 'meal')",
		"INSERT INTO user_xp (user_id, total) VALUES (1, 10) ON CONFLICT (user_id) DO UPDATE SET total = user_xp.total + excluded.total",
		"INSERT INTO users (name, email) SELECT 'new', 'new' || count(*) || '@example.com' FROM users",
		"INSERT INTO user_xp (user_id, total) SELECT max(id), 5 FROM users",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestSnapshotRestore(t *testing.T) {
	for _, indexed := range []bool{true, false} {
		t.Run(fmt.Sprintf("indexes applied before %v", indexed), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := testdb.Fresh(t)
			if err := migrations.Up(ctx, url); err != nil {
				t.Fatal(err)
			}
			if err := seed.SeedURL(ctx, url, seed.Small()); err != nil {
				t.Fatal(err)
			}
			if !indexed {
				if err := migrations.Up(ctx, url, migrations.WithoutIndexes()); err != nil {
					t.Fatal(err)
				}
			}
			got, err := store.IndexesBefore(ctx, url)
			if err != nil || got != indexed {
				t.Fatalf("IndexesBefore = %v, %v; want %v", got, err, indexed)
			}
			want := testdb.ReadFacts(t, url)
			s, err := store.TakeSnapshot(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			// What compare does in between: baseline drops the indexes,
			// optimized applies them; both runs write.
			if err := migrations.Up(ctx, url, migrations.WithoutIndexes()); err != nil {
				t.Fatal(err)
			}
			writeLikeALoad(t, url)
			if err := migrations.Up(ctx, url); err != nil {
				t.Fatal(err)
			}
			writeLikeALoad(t, url)
			if f := testdb.ReadFacts(t, url); f.Counts["meals"] != want.Counts["meals"]+2 || f.XP == want.XP {
				t.Fatalf("the writes did not land: %+v", f)
			}

			if err := s.Restore(ctx, url, false); err != nil {
				t.Fatal(err)
			}
			if got := testdb.ReadFacts(t, url); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("after restore:\n%+v\nwant\n%+v", got, want)
			}
			applied, err := migrations.IndexesApplied(ctx, url)
			if err != nil || applied != indexed {
				t.Errorf("indexes applied after restore: %v (%v), want %v", applied, err, indexed)
			}
		})
	}
}

func TestIndexesBeforeUnmigrated(t *testing.T) {
	t.Parallel()
	got, err := store.IndexesBefore(context.Background(), testdb.Fresh(t))
	if err != nil || !got {
		t.Errorf("unmigrated database: %v, %v; want true (migrating applies them)", got, err)
	}
}

// TestCountWrites: a meal logged and a chat turn (a user message and its
// answer) are one more meal and one more chat.
func TestCountWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.Fresh(t)
	if err := migrations.Up(ctx, url); err != nil {
		t.Fatal(err)
	}
	if err := seed.SeedURL(ctx, url, seed.Small()); err != nil {
		t.Fatal(err)
	}
	meals, chats, err := store.CountWrites(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	writeLikeALoad(t, url)
	m2, c2, err := store.CountWrites(ctx, url)
	if err != nil || m2 != meals+1 || c2 != chats+1 {
		t.Errorf("after a meal and a chat turn: %d meals, %d chats (%v); before %d, %d", m2, c2, err, meals, chats)
	}
}
