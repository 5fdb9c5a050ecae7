package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go

	"github.com/loadgate/loadgate/redact"
)

// EnvHistory names the environment variable that gives the store's URL
// when --history is not given.
const EnvHistory = "LOADGATE_HISTORY"

// FileName is the default store's file in a results root.
const FileName = "history.db"

// Off is the URL that turns the store off: nothing is recorded.
const Off = "off"

// DefaultURL is the store of results root root: sqlite:<root>/history.db.
func DefaultURL(root string) string {
	return "sqlite:" + filepath.Join(root, FileName)
}

// BusyTimeout is how long a writer of a SQLite store waits for another
// writer before the store is reported locked.
const BusyTimeout = 15 * time.Second

// Store is an open history store. Its methods may be called from several
// goroutines at once.
type Store struct {
	db *sql.DB
	// name says which store it is in messages: the SQLite file, or the
	// PostgreSQL URL without its password.
	name string
	pg   bool
	busy time.Duration // a SQLite writer's wait for another
}

// Mode says whether Open may create the store.
type Mode int

const (
	// Write opens the store to add runs to it, creating it (a SQLite file,
	// the schema) when it is not there yet.
	Write Mode = iota
	// Read opens a store that must be there: a missing SQLite file is an
	// error naming it.
	Read
)

// Open opens the store at url: "sqlite:PATH" (a file) or a PostgreSQL URL
// ("postgres://…" or "postgresql://…"), and migrates its schema to this
// loadgate's (with Write; Read refuses a store whose schema is older). An
// error names the store and says whether it is missing, locked or not a
// store at all.
func Open(ctx context.Context, url string, mode Mode, opts ...Option) (*Store, error) {
	o := options{busy: BusyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	var s *Store
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
		if path == "" {
			return nil, fmt.Errorf("history store %q: want sqlite:PATH", url)
		}
		var err error
		if s, err = openSQLite(path, mode, o.busy); err != nil {
			return nil, err
		}
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		cfg, err := pgxConfig(url)
		if err != nil {
			return nil, err
		}
		s = &Store{db: stdlib.OpenDB(*cfg), name: redact.URL(url), pg: true}
		s.db.SetMaxOpenConns(4)
	default:
		return nil, fmt.Errorf("history store %q: want sqlite:PATH or a postgres:// URL (or %q for none)", redact.URL(url), Off)
	}
	if err := s.migrate(ctx, mode); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Option configures Open.
type Option func(*options)

type options struct {
	busy time.Duration
}

// WithBusyTimeout sets how long a writer of a SQLite store waits for
// another one before the store is reported locked; default BusyTimeout.
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busy = d } }

func openSQLite(path string, mode Mode, busy time.Duration) (*Store, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && mode == Read:
		return nil, fmt.Errorf("history store %s is missing: no run has been recorded there (loadgate history import DIR… fills it from results directories)", path)
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("history store %s: %w", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("history store %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("history store %s is not a regular file", path)
	}
	// WAL lets readers go on while one writer writes; every transaction
	// takes the write lock when it begins (_txlock=immediate), so that two
	// writers wait for each other (busy_timeout) instead of one failing
	// when it upgrades a read to a write.
	dsn := "file:" + path + fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate", busy.Milliseconds())
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("history store %s: %w", path, err)
	}
	return &Store{db: db, name: path, busy: busy}, nil
}

// Name says which store s is: its file, or its URL without a password.
func (s *Store) Name() string { return s.name }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// wrap names the store in err and says what a driver's error means.
func (s *Store) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if isStoreError(err) {
		return err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "database is locked"), strings.Contains(msg, "SQLITE_BUSY"):
		return &storeError{fmt.Errorf("history store %s is locked: another process held it for more than %s while %s: %w", s.name, s.busy, what, err)}
	case strings.Contains(msg, "file is not a database"), strings.Contains(msg, "malformed"), strings.Contains(msg, "SQLITE_CORRUPT"), strings.Contains(msg, "SQLITE_NOTADB"):
		return &storeError{fmt.Errorf("history store %s is corrupt (not a SQLite database loadgate can read) while %s: %w", s.name, what, err)}
	}
	if s.pg {
		err = redact.Error(err)
	}
	return &storeError{fmt.Errorf("history store %s: %s: %w", s.name, what, err)}
}

func pgxConfig(url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("history store %q: %w", redact.URL(url), redact.Error(err))
	}
	return cfg, nil
}
