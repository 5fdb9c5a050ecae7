// Package store is the reference target's PostgreSQL storage: every SQL
// statement of the Health Agent API, parameterized, on a pgx pool; and the
// snapshot of a database that `loadgate compare` puts back after its runs
// (snapshot.go).
//
// Driver errors are translated here: a missing row is ErrNotFound, a
// uniqueness clash ErrConflict, a reference to a missing row ErrNotFound, so
// handlers never see pgx types. It knows nothing of caching or HTTP.
package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Domain errors returned by the store.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// NotFoundError is how the store returns ErrNotFound: What names what was
// looked for ("reading food 7"), so that a handler can say it without
// parsing the message; errors.Is(err, ErrNotFound) holds.
type NotFoundError struct {
	What string
	// Err is ErrNotFound, or the error below that is one.
	Err error
}

func (e *NotFoundError) Error() string { return e.What + ": " + e.Err.Error() }
func (e *NotFoundError) Unwrap() error { return e.Err }

// notFound is ErrNotFound of what, err being ErrNotFound or wrapping it.
func notFound(what string, err error) error { return &NotFoundError{What: what, Err: err} }

// OptimizedSettings are the session settings of the optimized profile: the
// planner is told that random reads cost little more than sequential ones
// (the usual setting for SSDs and for data that fits in memory), without
// which it prefers a sequential scan over the trigram index for common words.
func OptimizedSettings() map[string]string { return map[string]string{"random_page_cost": "1.1"} }

// Store runs the target's queries on a pool.
type Store struct {
	pool *pgxpool.Pool
	// maxConns bounds the attempts of retryRead; read once, since
	// pool.Config() copies the whole configuration on every call.
	maxConns int32
}

// New returns a Store on pool; the caller owns and closes the pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, maxConns: pool.Config().MaxConns} }

// Pool is the pool the store runs on.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that PostgreSQL answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, "/*q:ping*/ SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("pinging PostgreSQL: %w", err)
	}
	return nil
}

// Generation is the dataset generation written by the last seed (0 when the
// database was never seeded). Caches put it into their keys, so a re-seeded
// database never meets entries cached from the previous data.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	err := s.pool.QueryRow(ctx, "/*q:generation*/ SELECT generation FROM dataset").Scan(&g)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading dataset generation: %w", err)
	}
	return g, nil
}

// DatasetID names the data the database holds, for cache keys: the
// generation and the moment of the seed that wrote it ("0" when the database
// was never seeded). Unlike the generation alone, which starts at 1 in every
// database, it differs between two databases seeded apart, so targets on
// different databases sharing one Redis never read each other's entries.
func (s *Store) DatasetID(ctx context.Context) (string, error) {
	var g, at int64
	err := s.pool.QueryRow(ctx, "/*q:generation*/ SELECT generation, (extract(epoch FROM seeded_at) * 1e6)::bigint FROM dataset").Scan(&g, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return "0", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading dataset generation: %w", err)
	}
	return strconv.FormatInt(g, 10) + "." + strconv.FormatInt(at, 36), nil
}

// translate maps driver errors to the store's domain errors, keeping what
// happened in the message for logs.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(what, ErrNotFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%s: %w", what, ErrConflict)
		case "23503": // foreign_key_violation: the referenced row is missing
			return notFound(what, fmt.Errorf("%w (%s)", ErrNotFound, pgErr.ConstraintName))
		}
	}
	if errors.Is(err, ErrNotFound) {
		return notFound(what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
