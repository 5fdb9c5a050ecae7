package trial

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"

	"github.com/loadgate/loadgate/faults"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/scenarios"
	"github.com/loadgate/loadgate/target"
	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/services"
	"github.com/loadgate/loadgate/target/writes"
)

// Scenario runs the plan against the reference target (`loadgate
// scenario`, what `make scenario` calls): PostgreSQL and Redis found or
// started (throwaway ones of its own when the scenario has faults: drills
// stop and start servers, never the machine's shared ones), migrations,
// seed if empty, the target in st.Profile as a child process, the fault
// drills and the writes check, then the run as Run runs it; what it started
// is stopped at the end, however the run ends.
func Scenario(ctx context.Context, env Env, p Plan, st Stack) (record.Outcome, error) {
	if err := target.Profile(st.Profile).Check(); err != nil {
		return unknown, fmt.Errorf("--profile %w", err)
	}
	// The writes are counted after a run with faults against the
	// reference target: a writes_lost gate can be evaluated.
	sc, start, err := resolve(env, p, true)
	if err != nil {
		return unknown, err
	}
	if !usesReferenceTarget(p, sc) {
		// A file of one's own runs against its own base_url: nothing to
		// set up (the built-in drills, which need the stack, are refused).
		fmt.Fprintf(env.Stderr, "target: %s (the scenario's own: no services or reference target are started)\n", redact.URL(sc.Target.BaseURL))
		if p.DryRun {
			fmt.Fprintf(env.Stdout, "%-9s none: the scenario's own target (not the reference target's address %s)\n", "stack", target.DefaultAddr)
		}
		return Run(ctx, env, p)
	}
	if p.DryRun {
		fmt.Fprintf(env.Stdout, "%-9s PostgreSQL and Redis found or started, migrated, seeded if empty; the reference target started in profile %s on %s (a free port when taken), which the target's URL then names\n",
			"stack", st.Profile, target.DefaultAddr)
		return runPlan(ctx, env, p, sc, start, steps{})
	}
	var own []services.Option
	if len(sc.Faults) > 0 {
		own = append(own, services.WithOwn("postgres", "redis"))
	}
	stack, err := seed.Stack(ctx, st.Seed, env.Stderr, nil, own...)
	if err != nil {
		return unknown, err
	}
	defer stack.Stop()
	d, err := faults.NewStack(sc, stack)
	if err != nil {
		return unknown, err
	}
	defer d.Close()
	t, err := startTarget(ctx, env, d.DatabaseURL, d.RedisURL, st.Profile, sc.RestartsTarget())
	if err != nil {
		return unknown, err
	}
	defer t.Stop()
	if p.Target == "" {
		p.Target = t.Base()
		if sc, start, err = resolve(env, p, true); err != nil {
			return unknown, err
		}
	}
	var s steps
	if len(sc.Faults) > 0 {
		d.Ledger = env.Ledger
		if s.drills, err = d.Drills(sc, t, env.Getenv); err != nil {
			return unknown, err
		}
		if s.writes, err = writes.Start(ctx, stack.DatabaseURL); err != nil {
			return unknown, err
		}
	}
	return runPlan(ctx, env, p, sc, start, s)
}

// usesReferenceTarget reports whether the plan runs against the reference
// target, which Scenario then sets up: a built-in scenario given no other
// target, or a scenario whose target's address is the reference target's
// (target.DefaultAddr, or localhost on its port). Any other file runs
// against its own base_url.
func usesReferenceTarget(p Plan, sc *scenarios.Scenario) bool {
	if p.Target == "" && slices.Contains(scenarios.Names(), p.Scenario) {
		return true
	}
	u, err := url.Parse(sc.Target.BaseURL)
	if err != nil {
		return false
	}
	_, port, _ := net.SplitHostPort(target.DefaultAddr)
	switch u.Host {
	case target.DefaultAddr, "localhost:" + port, "[::1]:" + port:
		return u.Scheme == "http"
	}
	return false
}

// startTarget starts `loadgate serve` in profile against the database and
// Redis URLs given (the proxies' when the scenario has network faults), on
// 127.0.0.1:8080 when free, else a free port (always a free port when
// anyPort: a target the drills restart leaves its address free while it is
// down, and 127.0.0.1:8080 is what every other loadgate on the machine takes
// first), and waits until it is healthy.
func startTarget(ctx context.Context, env Env, dbURL, redisURL, profile string, anyPort bool) (*services.Target, error) {
	cfg := services.SelfTarget(profile, dbURL, redisURL)
	cfg.AnyPort, cfg.Ledger = anyPort, env.Ledger
	fmt.Fprintf(env.Stderr, "target: starting the reference target in profile %s and waiting until it is healthy…\n", profile)
	t, err := services.StartTarget(ctx, cfg)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(env.Stderr, "target: %s (profile %s, log %s)\n", t.Base(), profile, t.LogPath())
	return t, nil
}
