package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/target/services"
)

// cmdMigrate applies (up), rolls back one step (down) or lists (status) the
// schema migrations of the reference target's database.
func cmdMigrate(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	db := fs.String("database-url", dbURLFrom(e), "PostgreSQL URL (env DATABASE_URL)")
	noIndexes := fs.Bool("without-indexes", false, "up: leave the performance indexes out (the baseline profile)")
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	if fs.NArg() != 1 {
		return usageError(errors.New("usage: loadgate migrate [flags] up|down|status"))
	}
	opts := []migrations.Option{migrations.WithLogger(slog.New(slog.NewTextHandler(e.stderr, nil)))}
	switch fs.Arg(0) {
	case "up":
		if *noIndexes {
			opts = append(opts, migrations.WithoutIndexes())
		}
		if err := services.CreateDatabase(ctx, *db); err != nil {
			return err
		}
		return migrations.Up(ctx, *db, opts...)
	case "down":
		return migrations.Down(ctx, *db, opts...)
	case "status":
		return migrations.Status(ctx, *db, e.stdout)
	}
	return usageError(fmt.Errorf("migrate: unknown action %q (want up, down or status)", fs.Arg(0)))
}

func dbURLFrom(e env) string {
	if u := e.getenv("DATABASE_URL"); u != "" {
		return u
	}
	return services.DefaultDatabaseURL
}
