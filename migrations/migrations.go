// Package migrations holds the reference target's SQL migrations, embedded in
// the binary, and applies them with pressly/goose through pgx's database/sql
// driver.
//
// There are two migration sets, each with its own goose version table:
//
//   - schema  (table goose_db_version): the tables and what correctness needs;
//   - indexes (table loadgate_indexes_version): the performance indexes.
//
// Keeping the indexes a set of their own lets a profile choose them without
// holding back later schema changes: Up applies both sets (the optimized
// profile), Up with WithoutIndexes applies the schema and rolls the indexes
// set back if it was applied (the baseline profile). Down rolls back one
// migration, the indexes set first. It is not a general migration tool: the
// CLI's "migrate up|down|status" is a thin layer over these functions.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed schema/*.sql indexes/*.sql
var files embed.FS

// Names of the goose version tables of the two sets.
const (
	SchemaTable  = "goose_db_version"
	IndexesTable = "loadgate_indexes_version"
)

// set is one migration set: a directory of the embedded files and its table.
type set struct {
	name  string
	dir   string
	table string
}

var (
	schemaSet  = set{name: "schema", dir: "schema", table: SchemaTable}
	indexesSet = set{name: "indexes", dir: "indexes", table: IndexesTable}
)

// Option configures Up, Down and Status.
type Option func(*options)

type options struct {
	withIndexes bool
	log         *slog.Logger
}

// WithoutIndexes makes Up stop short of the performance indexes (and roll
// them back if they are applied): the baseline profile.
func WithoutIndexes() Option { return func(o *options) { o.withIndexes = false } }

// WithLogger logs each applied migration (default: discarded).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

func newOptions(opts []Option) options {
	o := options{withIndexes: true, log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Up applies every pending schema migration and then the indexes set, or,
// with WithoutIndexes, rolls the indexes set back to none.
func Up(ctx context.Context, databaseURL string, opts ...Option) error {
	o := newOptions(opts)
	db, err := open(databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()

	if err := withProvider(db, schemaSet, func(p *goose.Provider) error {
		res, err := p.Up(ctx)
		logResults(o.log, schemaSet, res)
		return err
	}); err != nil {
		return fmt.Errorf("migrating schema up: %w", err)
	}
	return withProvider(db, indexesSet, func(p *goose.Provider) error {
		if o.withIndexes {
			res, err := p.Up(ctx)
			logResults(o.log, indexesSet, res)
			if err != nil {
				return fmt.Errorf("creating performance indexes: %w", err)
			}
			return nil
		}
		res, err := p.DownTo(ctx, 0)
		logResults(o.log, indexesSet, res)
		if err != nil {
			return fmt.Errorf("dropping performance indexes (baseline profile): %w", err)
		}
		return nil
	})
}

// Down rolls back the most recent migration: the newest applied index
// migration if any, else the newest schema migration. With nothing applied it
// returns an error saying so.
func Down(ctx context.Context, databaseURL string, opts ...Option) error {
	o := newOptions(opts)
	db, err := open(databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()

	for _, s := range []set{indexesSet, schemaSet} {
		done := false
		err := withProvider(db, s, func(p *goose.Provider) error {
			v, err := p.GetDBVersion(ctx)
			if err != nil || v == 0 {
				return err
			}
			res, err := p.Down(ctx)
			logResults(o.log, s, []*goose.MigrationResult{res})
			done = err == nil
			return err
		})
		if err != nil {
			return fmt.Errorf("migrating %s down: %w", s.name, err)
		}
		if done {
			return nil
		}
	}
	return errors.New("migrating down: no migration is applied")
}

// Reset rolls back every migration of both sets: an empty database again.
func Reset(ctx context.Context, databaseURL string, opts ...Option) error {
	o := newOptions(opts)
	db, err := open(databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range []set{indexesSet, schemaSet} {
		if err := withProvider(db, s, func(p *goose.Provider) error {
			res, err := p.DownTo(ctx, 0)
			logResults(o.log, s, res)
			return err
		}); err != nil {
			return fmt.Errorf("resetting %s: %w", s.name, err)
		}
	}
	return nil
}

// Status writes one line per migration of both sets: set, version, state,
// file and, when applied, the time it was.
func Status(ctx context.Context, databaseURL string, w io.Writer) error {
	db, err := open(databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range []set{schemaSet, indexesSet} {
		if err := withProvider(db, s, func(p *goose.Provider) error {
			st, err := p.Status(ctx)
			if err != nil {
				return err
			}
			for _, m := range st {
				applied := ""
				if m.State == goose.StateApplied {
					applied = m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
				}
				if _, err := fmt.Fprintf(w, "%-8s %5d  %-8s %-40s %s\n",
					s.name, m.Source.Version, m.State, m.Source.Path, applied); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("migration status of %s: %w", s.name, err)
		}
	}
	return nil
}

// IndexesApplied reports whether the performance indexes set is fully applied.
func IndexesApplied(ctx context.Context, databaseURL string) (bool, error) {
	db, err := open(databaseURL)
	if err != nil {
		return false, err
	}
	defer db.Close()
	applied := false
	err = withProvider(db, indexesSet, func(p *goose.Provider) error {
		cur, target, err := p.GetVersions(ctx)
		applied = err == nil && cur == target && cur > 0
		return err
	})
	return applied, err
}

func open(databaseURL string) (*sql.DB, error) {
	cfg, err := pgxConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	return stdlib.OpenDB(*cfg), nil
}

func withProvider(db *sql.DB, s set, f func(*goose.Provider) error) error {
	sub, err := fs.Sub(files, s.dir)
	if err != nil {
		return fmt.Errorf("embedded %s migrations: %w", s.name, err)
	}
	// One advisory lock per set, so two processes starting at once (replicas,
	// parallel tests on one database) do not apply the same migration twice.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(s)))
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithTableName(s.table),
		goose.WithDisableGlobalRegistry(true),
		goose.WithSessionLocker(locker),
	)
	if err != nil {
		return fmt.Errorf("loading %s migrations: %w", s.name, err)
	}
	return f(p)
}

// lockID derives a per-set advisory lock id from goose's default one.
func lockID(s set) int64 {
	if s.name == indexesSet.name {
		return lock.DefaultLockID + 1
	}
	return lock.DefaultLockID
}

func logResults(log *slog.Logger, s set, res []*goose.MigrationResult) {
	for _, r := range res {
		if r == nil || r.Source == nil {
			continue
		}
		log.Info("migration", "set", s.name, "version", r.Source.Version,
			"direction", r.Direction, "duration", r.Duration, "error", r.Error)
	}
}
