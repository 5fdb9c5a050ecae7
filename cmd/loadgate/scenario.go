package main

import (
	"context"
	"fmt"

	"github.com/loadgate/loadgate/faults"
	"github.com/loadgate/loadgate/target"
	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/services"
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
	if err := target.Profile(*profile).Check(); err != nil {
		return usageError(fmt.Errorf("--profile %w", err))
	}
	if *r.dryRun {
		return runScenario(ctx, e, f.Arg(0), r)
	}
	return withCPUProfile(e, r, func() error { return scenarioWithStack(ctx, e, f.Arg(0), r, sf, *profile) })
}

// scenarioWithStack is cmdScenario after its flags: the stack, the target, the run.
func scenarioWithStack(ctx context.Context, e env, name string, f *runFlags, sf *seedFlags, profile string) error {
	sc, err := resolveScenario(e, name, f) // for its faults; the run resolves it again
	if err != nil {
		return err
	}
	var own []services.Option
	if len(sc.Faults) > 0 {
		// Drills stop and start servers: never the machine's shared ones.
		own = append(own, services.WithOwn("postgres", "redis"))
	}
	stack, err := seed.Stack(ctx, sf.options(), e.stderr, nil, own...)
	if err != nil {
		return err
	}
	defer stack.Stop()
	d, err := faults.NewStack(sc, stack)
	if err != nil {
		return err
	}
	defer d.Close()
	t, err := startTarget(ctx, e, d.DatabaseURL, d.RedisURL, profile, sc.RestartsTarget())
	if err != nil {
		return err
	}
	defer t.Stop()
	if *f.target == "" {
		*f.target = t.Base()
	}
	if len(sc.Faults) > 0 {
		d.Ledger = e.ledger
		if f.drills, err = d.Drills(sc, t, e.getenv); err != nil {
			return usageError(err)
		}
		if f.writes, err = faults.StartWritesCheck(ctx, stack.DatabaseURL); err != nil {
			return err
		}
	}
	return runScenario(ctx, e, name, f)
}

// startTarget starts `loadgate serve` in profile against the database and
// Redis URLs given (the proxies' when the scenario has network faults), on
// 127.0.0.1:8080 when free, else a free port (always a free port when
// anyPort: a target the drills restart leaves its address free while it is
// down, and 127.0.0.1:8080 is what every other loadgate on the machine takes
// first), and waits until it is healthy.
func startTarget(ctx context.Context, e env, dbURL, redisURL, profile string, anyPort bool) (*services.Target, error) {
	cfg := services.SelfTarget(profile, dbURL, redisURL)
	cfg.AnyPort, cfg.Ledger = anyPort, e.ledger
	t, err := services.StartTarget(ctx, cfg)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(e.stderr, "target: %s (profile %s, log %s)\n", t.Base(), profile, t.LogPath())
	return t, nil
}
