package store

import (
	"context"
	"errors"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// deadConn reports whether err means the connection was closed under the
// query (a backend terminated by pg_terminate_backend, a server restart)
// rather than that the query failed.
func deadConn(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
			return true
		}
		return false
	}
	return pgconn.SafeToRetry(err) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// retryRead runs read, and again on another connection when it failed on a
// dead one: reads have no effect, so running them twice is harmless. Each
// attempt that meets a dead connection makes the pool drop it, so after a
// server restart the attempts are bounded by the pool size. Writes are never
// retried here.
func (s *Store) retryRead(ctx context.Context, read func() error) error {
	var err error
	for range s.maxConns + 1 {
		err = read()
		if err == nil || !deadConn(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// collect runs a query and collects its rows, retried as retryRead does.
func collect[T any](ctx context.Context, s *Store, query func() (pgx.Rows, error), fn pgx.RowToFunc[T]) ([]T, error) {
	var out []T
	err := s.retryRead(ctx, func() error {
		rows, err := query()
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, fn)
		return err
	})
	return out, err
}
