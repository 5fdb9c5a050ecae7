// Package seed loads the reference target's deterministic synthetic data:
// users with their memories and XP, foods, conversation history, and the
// default API key. The same Options give the same rows, byte for byte, so runs
// against seeded databases are comparable. Rows go in through COPY (pgx
// CopyFrom), so a million messages take seconds, not minutes.
//
// Seed replaces the data; it does not migrate (migrations.Up first).
// Prepare creates and migrates the database and seeds it (only when empty,
// if asked); Stack does that on the PostgreSQL and Redis it finds or starts.
package seed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/target/store"
)

// Options size the data set.
type Options struct {
	Users    int   // users, each with a few memories and an XP total
	Foods    int   // foods
	Messages int   // conversation messages, spread over the users
	Seed     int64 // the random seed; same seed, same data
	// APIKeys are stored (hashed) besides DefaultAPIKey.
	APIKeys []string
}

// DefaultAPIKey is the key every seeded database accepts.
const DefaultAPIKey = "dev-key"

// Defaults is the data set of real runs, sized so that the indexes matter:
// 1,000 users, 50,000 foods, 1,000,000 messages.
func Defaults() Options { return Options{Users: 1000, Foods: 50_000, Messages: 1_000_000, Seed: 1} }

// Small is a data set for tests: under a second to load, every kind of row.
func Small() Options { return Options{Users: 50, Foods: 2000, Messages: 5000, Seed: 1} }

// Validate reports what is wrong with o.
func (o Options) Validate() error {
	var errs []error
	if o.Users < 1 {
		errs = append(errs, fmt.Errorf("users %d: want at least 1", o.Users))
	}
	if o.Foods < 1 {
		errs = append(errs, fmt.Errorf("foods %d: want at least 1", o.Foods))
	}
	if o.Messages < 0 {
		errs = append(errs, fmt.Errorf("messages %d: want 0 or more", o.Messages))
	}
	return errors.Join(errs...)
}

// Epoch is the time the seeded history ends at; fixed, so data is deterministic.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// historySpan is how far back the seeded history reaches from Epoch.
const historySpan = 180 * 24 * time.Hour

// Seed replaces the data in the database of pool with the data set of o and
// bumps the dataset generation (so caches keyed by it start afresh).
func Seed(ctx context.Context, pool *pgxpool.Pool, o Options) error {
	if err := o.Validate(); err != nil {
		return fmt.Errorf("seed options: %w", err)
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `TRUNCATE users, api_keys, foods, food_words, memories, messages, meals, user_xp, xp_events RESTART IDENTITY`); err != nil {
			return fmt.Errorf("seeding: clearing tables (migrated?): %w", err)
		}
		steps := []struct {
			what string
			f    func(context.Context, pgx.Tx, Options) error
		}{
			{"users", copyUsers},
			{"memories", copyMemories},
			{"xp", copyXP},
			{"foods", copyFoods},
			{"messages", copyMessages},
		}
		for _, s := range steps {
			if err := s.f(ctx, tx, o); err != nil {
				return fmt.Errorf("seeding %s: %w", s.what, err)
			}
		}
		if err := store.RefreshFoodWords(ctx, tx); err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
		for _, key := range append([]string{DefaultAPIKey}, o.APIKeys...) {
			if err := addKey(ctx, tx, key, key); err != nil {
				return err
			}
		}
		for _, t := range []string{"users", "foods", "memories", "messages", "meals", "xp_events", "api_keys"} {
			if _, err := tx.Exec(ctx, fmt.Sprintf(
				"SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), coalesce((SELECT max(id) FROM %[1]s), 0) + 1, false)", t)); err != nil {
				return fmt.Errorf("seeding: resetting the id sequence of %s: %w", t, err)
			}
		}
		if err := bumpGeneration(ctx, tx); err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
		return nil
	})
}

// SeedURL connects to databaseURL and calls Seed.
func SeedURL(ctx context.Context, databaseURL string, o Options) error {
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("seeding: connecting: %w", redact.Error(err))
	}
	defer pool.Close()
	return Seed(ctx, pool, o)
}

// IsEmpty reports whether the database has no users (or no schema yet): the
// test "make scenario" uses to seed only once.
func IsEmpty(ctx context.Context, databaseURL string) (bool, error) {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return false, fmt.Errorf("checking for data: connecting: %w", redact.Error(err))
	}
	defer conn.Close(ctx)
	var any bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM users)").Scan(&any)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: not migrated
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("checking for data: %w", err)
	}
	return !any, nil
}

// AddAPIKey stores the hash of key under name, in a database already migrated.
func AddAPIKey(ctx context.Context, databaseURL, name, key string) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("adding API key: connecting: %w", redact.Error(err))
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("adding API key: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := addKey(ctx, tx, name, key); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func addKey(ctx context.Context, tx pgx.Tx, name, key string) error {
	h := store.HashKey(key)
	if _, err := tx.Exec(ctx, `
		INSERT INTO api_keys (name, key_hash)
		SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM api_keys WHERE key_hash = $2)`, name, h[:]); err != nil {
		return fmt.Errorf("adding API key %q: %w", name, err)
	}
	return nil
}

// rng returns the generator of one table: each table has its own stream, so
// changing one size does not change another table's rows.
func rng(o Options, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(o.Seed), stream))
}

// copyRows streams n rows made by row into table.
func copyRows(ctx context.Context, tx pgx.Tx, table string, cols []string, n int, row func(i int) []any) error {
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		r := row(i)
		i++
		return r, nil
	})
	_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, src)
	return err
}

// bumpGeneration moves the dataset to a new generation: targets started
// afterwards use fresh cache keys.
func bumpGeneration(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `
		INSERT INTO dataset (generation) VALUES (1)
		ON CONFLICT (singleton) DO UPDATE SET generation = dataset.generation + 1, seeded_at = now()`); err != nil {
		return fmt.Errorf("bumping the dataset generation: %w", err)
	}
	return nil
}
