package seed

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/target/services"
)

// Prepare makes the database of databaseURL ready for the reference target:
// it creates the database when absent, migrates it, and seeds it with the
// data set of o; when ifEmpty, only if it holds no data yet (a database
// already seeded is left as it is). It says what it does on log.
func Prepare(ctx context.Context, databaseURL string, o Options, ifEmpty bool, log io.Writer) error {
	if err := services.CreateDatabase(ctx, databaseURL); err != nil {
		return err
	}
	fmt.Fprintf(log, "migrate: applying the schema migrations to %s…\n", redact.URL(databaseURL))
	if err := migrations.Up(ctx, databaseURL); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	if ifEmpty {
		empty, err := IsEmpty(ctx, databaseURL)
		if err != nil {
			return err
		}
		if !empty {
			fmt.Fprintln(log, "seed: database already holds data; left as it is")
			return nil
		}
	}
	fmt.Fprintf(log, "seed: %d users, %d foods, %d messages…\n", o.Users, o.Foods, o.Messages)
	if err := SeedURL(ctx, databaseURL, o); err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	return nil
}

// Stack finds or starts PostgreSQL and Redis (services.Ensure with opts,
// logging on log), then prepares the database as Prepare does, seeding it
// with o only when it holds no data: what the reference target needs to
// serve. beforeMigrate, if not nil, is called with the database's URL first
// (the database exists, nothing is migrated yet). The caller stops the stack.
func Stack(ctx context.Context, o Options, log io.Writer, beforeMigrate func(databaseURL string) error, opts ...services.Option) (*services.Stack, error) {
	opts = append([]services.Option{services.WithLogger(slog.New(slog.NewTextHandler(log, nil)))}, opts...)
	fmt.Fprintln(log, "services: finding or starting PostgreSQL and Redis…")
	stack, err := services.Ensure(ctx, opts...)
	if err != nil {
		return nil, err
	}
	how := func(name string) string {
		if slices.Contains(stack.Started, name) {
			return "started for this run"
		}
		return "found"
	}
	fmt.Fprintf(log, "services: PostgreSQL %s (%s), Redis %s (%s)\n",
		redact.URL(stack.DatabaseURL), how("postgres"), redact.URL(stack.RedisURL), how("redis"))
	if beforeMigrate != nil {
		if err := services.CreateDatabase(ctx, stack.DatabaseURL); err != nil {
			stack.Stop()
			return nil, err
		}
		if err := beforeMigrate(stack.DatabaseURL); err != nil {
			stack.Stop()
			return nil, err
		}
	}
	if err := Prepare(ctx, stack.DatabaseURL, o, true, log); err != nil {
		stack.Stop()
		return nil, err
	}
	return stack, nil
}
