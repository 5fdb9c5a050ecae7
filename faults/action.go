package faults

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"github.com/loadgate/loadgate/scenarios"
)

// Action is one fault drill. Inject puts the fault on; Undo takes it off
// and must bring the service back whether Inject finished or not, and do
// nothing harmful when it is already back.
type Action interface {
	Inject(ctx context.Context) error
	Undo(ctx context.Context) error
}

// Server is a server loadgate started and may stop and start again
// (services.Server).
type Server interface {
	Stop(ctx context.Context) error
	Start(ctx context.Context) error
}

// Target is the target process loadgate started.
type Target interface {
	// Restart stops the target (SIGTERM, or SIGKILL when kill), starts it
	// again and waits until it is healthy.
	Restart(ctx context.Context, kill bool) error
	// Start starts it when it is not running, and waits until it is healthy.
	Start(ctx context.Context) error
}

// Env is what the built-in actions may act on; a nil or empty field means
// loadgate did not start (or was not given) that thing, and a fault on it
// is refused before the run.
type Env struct {
	// Postgres and Redis are throwaway servers loadgate started.
	Postgres, Redis Server
	// DatabaseURL is the target's database (pg_terminate_backends ends its
	// backends only); RedisURL the target's Redis (redis_pause).
	DatabaseURL, RedisURL string
	// Target is the target process loadgate started.
	Target Target
	// Proxies are the TCP proxies in front of each service ("postgres",
	// "redis") the target talks to, for network faults.
	Proxies map[string]*Proxy
	// Dir resolves exec programs given as relative paths.
	Dir string
}

// Build returns the drill of each of the scenario's faults, by label
// (scenarios.Fault.Label). A fault whose service Env does not hold is an
// error that says what loadgate would need.
func Build(sc *scenarios.Scenario, env Env) (map[string]Action, error) {
	out := map[string]Action{}
	for i, f := range sc.Faults {
		a, err := build(f, env)
		if err != nil {
			return nil, fmt.Errorf("%s: faults[%d] (%s): %w", sc.Source, i, f.Label(), err)
		}
		out[f.Label()] = a
	}
	return out, nil
}

func build(f scenarios.Fault, env Env) (Action, error) {
	switch f.Action {
	case scenarios.FaultRedisStop:
		if env.Redis == nil {
			return nil, errNotOurs("Redis")
		}
		return serverStop{env.Redis}, nil
	case scenarios.FaultPGStop:
		if env.Postgres == nil {
			return nil, fmt.Errorf("%w, or one given by its data directory (LOADGATE_PG_DATA, with DATABASE_URL)", errNotOurs("PostgreSQL"))
		}
		return serverStop{env.Postgres}, nil
	case scenarios.FaultRedisPause:
		if err := loopbackURL(env.RedisURL); err != nil {
			return nil, fmt.Errorf("redis_pause: %w", err)
		}
		return &redisPause{url: env.RedisURL, d: f.For.D()}, nil
	case scenarios.FaultPGTerminate:
		if err := loopbackURL(env.DatabaseURL); err != nil {
			return nil, fmt.Errorf("pg_terminate_backends: %w", err)
		}
		return pgTerminate{url: env.DatabaseURL}, nil
	case scenarios.FaultTargetRestart, scenarios.FaultTargetKill:
		if env.Target == nil {
			return nil, fmt.Errorf("%s acts on a target loadgate started (loadgate scenario); for another target use exec", f.Action)
		}
		return targetRestart{t: env.Target, kill: f.Action == scenarios.FaultTargetKill}, nil
	case scenarios.FaultLatency, scenarios.FaultBandwidth, scenarios.FaultReset, scenarios.FaultBlackhole:
		p := env.Proxies[f.Service]
		if p == nil {
			return nil, fmt.Errorf("%s on %s needs loadgate's proxy between the target and %s (loadgate scenario places it)", f.Action, f.Service, f.Service)
		}
		return newToxic(p, f)
	case scenarios.FaultExec:
		return newExec(env.Dir, f)
	}
	return nil, fmt.Errorf("unknown action %q", f.Action)
}

func errNotOurs(what string) error {
	return fmt.Errorf("loadgate stops only a %s it started itself (loadgate scenario starts one for a scenario with this fault; DATABASE_URL/REDIS_URL must then be unset)", what)
}

// loopbackURL refuses a URL whose host is not a loopback address.
func loopbackURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("no server given")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad URL: %w", err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not on loopback: built-in faults act only on loopback servers (use exec)", u.Redacted())
	}
	return nil
}

// serverStop stops a server loadgate started and starts it again.
type serverStop struct{ s Server }

func (a serverStop) Inject(ctx context.Context) error { return a.s.Stop(ctx) }
func (a serverStop) Undo(ctx context.Context) error   { return a.s.Start(ctx) }

// targetRestart stops the target and starts it again; Undo starts it if
// the restart was cut short.
type targetRestart struct {
	t    Target
	kill bool
}

func (a targetRestart) Inject(ctx context.Context) error { return a.t.Restart(ctx, a.kill) }
func (a targetRestart) Undo(ctx context.Context) error   { return a.t.Start(ctx) }
