package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/redact"
)

// LoadTables are the tables a load test writes rows into, children before
// parents: restoring deletes the rows above each table's high-water mark in
// this order. user_xp, updated in place, is restored from a copy.
func LoadTables() []string {
	return []string{"xp_events", "meals", "messages", "memories", "api_keys", "foods", "users"}
}

// Snapshot is what a comparison records of the reference target's database
// before its runs, to put it back afterwards: whether the performance
// indexes were applied, each load table's highest id and id sequence, and
// user_xp.
type Snapshot struct {
	// Indexes says whether the performance indexes were applied; the caller
	// may set it from IndexesBefore when it migrates after reading it.
	Indexes bool
	marks   map[string]int64
	seqs    map[string]sequenceState
	xp      map[int64]int64
}

type sequenceState struct {
	name     string
	last     int64
	isCalled bool
}

// IndexesBefore says whether the performance indexes are applied to a
// database that may not be migrated yet; an unmigrated one counts as
// applied, since migrating (what compare's set-up does) applies them.
func IndexesBefore(ctx context.Context, url string) (bool, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false, fmt.Errorf("connecting to PostgreSQL: %w", redact.Error(err))
	}
	var migrated bool
	err = conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", migrations.SchemaTable).Scan(&migrated)
	conn.Close(ctx)
	if err != nil {
		return false, fmt.Errorf("reading the migration state: %w", err)
	}
	if !migrated {
		return true, nil
	}
	applied, err := migrations.IndexesApplied(ctx, url)
	if err != nil {
		return false, fmt.Errorf("reading the indexes' migration state: %w", err)
	}
	return applied, nil
}

// TakeSnapshot records the state Restore puts back. The database must be
// migrated.
func TakeSnapshot(ctx context.Context, url string) (*Snapshot, error) {
	applied, err := migrations.IndexesApplied(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("reading the indexes' migration state: %w", err)
	}
	s := &Snapshot{Indexes: applied, marks: map[string]int64{}, seqs: map[string]sequenceState{}, xp: map[int64]int64{}}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", redact.Error(err))
	}
	defer conn.Close(ctx)
	// One repeatable-read snapshot: the marks and the copy agree.
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	for _, t := range LoadTables() {
		var mark int64
		var seq string
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(id), 0), pg_get_serial_sequence($1, 'id') FROM "+pgx.Identifier{t}.Sanitize(), t).Scan(&mark, &seq); err != nil {
			return nil, fmt.Errorf("recording the high-water mark of %s: %w", t, err)
		}
		st := sequenceState{name: seq}
		if err := tx.QueryRow(ctx, "SELECT last_value, is_called FROM "+seq).Scan(&st.last, &st.isCalled); err != nil {
			return nil, fmt.Errorf("recording the sequence %s: %w", seq, err)
		}
		s.marks[t], s.seqs[t] = mark, st
	}
	rows, err := tx.Query(ctx, "SELECT user_id, total FROM user_xp")
	if err != nil {
		return nil, fmt.Errorf("copying user_xp: %w", err)
	}
	for rows.Next() {
		var id, total int64
		if err := rows.Scan(&id, &total); err != nil {
			return nil, err
		}
		s.xp[id] = total
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("copying user_xp: %w", err)
	}
	return s, nil
}

// Restore puts the database back as TakeSnapshot found it: the rows written
// since are deleted, sequences and user_xp set back (one transaction; not
// with keepRows, which leaves the rows the runs wrote), and the performance
// indexes applied or dropped as they were. It assumes no one else wrote to
// the database in between.
func (s *Snapshot) Restore(ctx context.Context, url string, keepRows bool) error {
	if !keepRows {
		if err := s.restoreRows(ctx, url); err != nil {
			return err
		}
	}
	now, err := migrations.IndexesApplied(ctx, url)
	if err != nil {
		return fmt.Errorf("reading the indexes' migration state: %w", err)
	}
	if now == s.Indexes {
		return nil
	}
	var opts []migrations.Option
	if !s.Indexes {
		opts = append(opts, migrations.WithoutIndexes())
	}
	if err := migrations.Up(ctx, url, opts...); err != nil {
		return fmt.Errorf("restoring the performance indexes (applied before: %v): %w", s.Indexes, err)
	}
	return nil
}

func (s *Snapshot) restoreRows(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", redact.Error(err))
	}
	defer conn.Close(ctx)
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, t := range LoadTables() {
			if _, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{t}.Sanitize()+" WHERE id > $1", s.marks[t]); err != nil {
				return fmt.Errorf("deleting the rows the runs added to %s: %w", t, err)
			}
			sq := s.seqs[t]
			if _, err := tx.Exec(ctx, "SELECT setval($1, $2, $3)", sq.name, sq.last, sq.isCalled); err != nil {
				return fmt.Errorf("setting the sequence %s back: %w", sq.name, err)
			}
		}
		if _, err := tx.Exec(ctx, "CREATE TEMP TABLE loadgate_xp_before (user_id bigint PRIMARY KEY, total bigint NOT NULL) ON COMMIT DROP"); err != nil {
			return err
		}
		rows := make([][]any, 0, len(s.xp))
		for id, total := range s.xp {
			rows = append(rows, []any{id, total})
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"loadgate_xp_before"}, []string{"user_id", "total"}, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("restoring user_xp: %w", err)
		}
		for _, q := range []string{
			"DELETE FROM user_xp x WHERE NOT EXISTS (SELECT 1 FROM loadgate_xp_before b WHERE b.user_id = x.user_id)",
			"UPDATE user_xp x SET total = b.total FROM loadgate_xp_before b WHERE b.user_id = x.user_id AND x.total <> b.total",
			"INSERT INTO user_xp (user_id, total) SELECT user_id, total FROM loadgate_xp_before b WHERE NOT EXISTS (SELECT 1 FROM user_xp x WHERE x.user_id = b.user_id)",
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("restoring user_xp: %w", err)
			}
		}
		return nil
	})
}

// CountWrites counts the rows the reference target's writes leave: meals
// logged, and chat turns (messages with role user, each stored with its
// answer in one statement). Fault drills compare them with the writes the
// target acknowledged.
func CountWrites(ctx context.Context, url string) (meals, chats int64, err error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM meals), (SELECT count(*) FROM messages WHERE role = 'user')`).Scan(&meals, &chats)
	return meals, chats, err
}
