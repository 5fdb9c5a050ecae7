package main

import (
	"context"

	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/trial"
)

// seedFlags are the flags that size the data seeded into an empty database.
type seedFlags struct {
	users, foods, messages *int
}

func addSeedFlags(f *cmdFlags) *seedFlags {
	d := seed.Defaults()
	s := &seedFlags{
		users:    f.Int("users", d.Users, "users"),
		foods:    f.Int("foods", d.Foods, "foods"),
		messages: f.Int("messages", d.Messages, "conversation messages"),
	}
	f.group("seed (only when the database holds no data)", "users", "foods", "messages")
	return s
}

func (f *seedFlags) options() seed.Options {
	o := seed.Defaults()
	o.Users, o.Foods, o.Messages = *f.users, *f.foods, *f.messages
	return o
}

// cmdScenario is what `make scenario` calls: services (found or started),
// migrations, seed if empty, the reference target as a child process, the
// run, the report and the gate; then it stops what it started.
func cmdScenario(ctx context.Context, e env, args []string) error {
	f := newFlags("scenario", "SCENARIO", "Sets up what the reference target needs (PostgreSQL and Redis found or started,\n"+
		"migrations, seed if the database is empty), starts the target in --profile on\n"+
		"127.0.0.1:8080 (another port when that is taken), runs SCENARIO against it as run does,\n"+
		"then stops what it started. What 'make scenario' calls.\n\n"+runAbout)
	r := addRunFlags(f)
	profile := f.String("profile", "optimized", "target profile: optimized or baseline")
	sf := addSeedFlags(f)
	if err := f.parse(e, args); err != nil {
		return err
	}
	if f.NArg() != 1 {
		return f.argsError("scenario: one scenario, a built-in name or a YAML file")
	}
	if err := r.check(); err != nil {
		return err
	}
	defer r.closeHistory(e)
	return withCPUProfile(e, r, func() error {
		out, err := trial.Scenario(ctx, r.trialEnv(ctx, e), r.plan(f.Arg(0)), trial.Stack{Profile: *profile, Seed: sf.options()})
		return verdictError(out, err)
	})
}
