package main

import (
	"context"

	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/services"
)

// cmdSeed loads deterministic synthetic data (migrating first).
func cmdSeed(ctx context.Context, e env, args []string) error {
	d := seed.Defaults()
	fs := newFlags("seed", "", "Loads deterministic synthetic data (users and their memory, foods, conversations, meals,\n"+
		"XP, the API key "+seed.DefaultAPIKey+") into the reference target's database, migrating it first.\n"+
		"The same --seed gives the same data.")
	db := fs.String("database-url", "", "PostgreSQL URL (default: env DATABASE_URL, else "+services.DefaultDatabaseURL+")")
	users := fs.Int("users", d.Users, "users to create")
	foods := fs.Int("foods", d.Foods, "foods to create")
	messages := fs.Int("messages", d.Messages, "conversation messages to create")
	seedValue := fs.Int64("seed", d.Seed, "random seed: the same seed gives the same data")
	ifEmpty := fs.Bool("if-empty", false, "seed only when the database holds no data")
	if err := fs.parse(e, args); err != nil {
		return err
	}
	if *db == "" {
		*db = services.DatabaseURL(e.getenv)
	}
	if fs.NArg() != 0 {
		return fs.argsError("seed: no arguments")
	}
	o := d
	o.Users, o.Foods, o.Messages, o.Seed = *users, *foods, *messages, *seedValue
	return seed.Prepare(ctx, *db, o, *ifEmpty, e.stderr)
}
