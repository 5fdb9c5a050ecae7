package history

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// versionTable is goose's version table of the store: a name of its own,
// so that the store may share a PostgreSQL database with other schemas
// (the reference target's goose_db_version among them).
const versionTable = "loadgate_history_version"

// lockID is the advisory lock PostgreSQL writers hold while they migrate
// the store (the reference target's migrations hold goose's default and
// the one after it).
const lockID = lock.DefaultLockID + 7

// migrate brings the store's schema to this loadgate's. With Read, a
// store whose schema is older (or absent) is an error instead.
func (s *Store) migrate(ctx context.Context, mode Mode) error {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	var opts []goose.ProviderOption
	if s.pg {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID))
		if err != nil {
			return fmt.Errorf("history store %s: migration lock: %w", s.name, err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return fmt.Errorf("embedded history migrations: %w", err)
	}
	opts = append(opts, goose.WithTableName(versionTable), goose.WithDisableGlobalRegistry(true))
	p, err := goose.NewProvider(dialect, s.db, sub, opts...)
	if err != nil {
		return fmt.Errorf("history migrations: %w", err)
	}
	if mode == Read {
		cur, want, err := p.GetVersions(ctx)
		if err != nil {
			return s.wrap("reading its schema version", err)
		}
		if cur < want {
			return fmt.Errorf("history store %s has schema version %d, this loadgate reads %d: record a run into it (or import) to migrate it", s.name, cur, want)
		}
		return nil
	}
	// Two SQLite writers creating one store at the same moment may both
	// find it unmigrated: the one that loses the race for the write lock
	// finds the tables there and tries again, and then has nothing to do.
	// (PostgreSQL writers hold an advisory lock instead.)
	for attempt := 0; ; attempt++ {
		_, err = p.Up(ctx)
		if err == nil || s.pg || attempt == 3 || !strings.Contains(err.Error(), "already exists") {
			break
		}
	}
	return s.wrap("migrating its schema", err)
}
