package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/target/services"
)

// cmdMigrate applies (up), rolls back one step (down) or lists (status) the
// schema migrations of the reference target's database.
func cmdMigrate(ctx context.Context, e env, args []string) error {
	fs := newFlags("migrate", "up|down|status", "Migrates the reference target's database (created if absent):\n"+
		"  up      apply every migration not applied yet (the performance indexes too, unless\n"+
		"          --without-indexes)\n"+
		"  down    roll back the last applied migration\n"+
		"  status  list the migrations, applied or not")
	db := fs.String("database-url", "", "PostgreSQL URL (default: env DATABASE_URL, else "+services.DefaultDatabaseURL+")")
	noIndexes := fs.Bool("without-indexes", false, "up: leave the performance indexes out (the baseline profile)")
	if err := fs.parse(e, args); err != nil {
		return err
	}
	if *db == "" {
		*db = services.DatabaseURL(e.getenv)
	}
	if fs.NArg() != 1 {
		return fs.argsError("migrate: one action, up, down or status")
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
	return fs.argsError(fmt.Sprintf("migrate: unknown action %q (want up, down or status)", fs.Arg(0)))
}
