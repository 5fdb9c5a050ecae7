package faults

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/loadgate/loadgate/leftovers"
	"github.com/loadgate/loadgate/scenarios"
	"github.com/loadgate/loadgate/target/services"
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
	// Allow names the services ("postgres", "redis") the user allows
	// drills on although loadgate did not start them (EnvAllowDrills):
	// redis_pause and pg_terminate_backends act on every client of the
	// service, and are refused on a shared one otherwise.
	Allow map[string]bool
	// Target is the target process loadgate started.
	Target Target
	// Proxies are the TCP proxies in front of each service ("postgres",
	// "redis") the target talks to, for network faults.
	Proxies map[string]*Proxy
	// Dir resolves exec programs given as relative paths.
	Dir string
	// Ledger, when set, records each drill while it is on, with how to
	// undo it by hand, and the processes of exec commands: what an
	// interrupted loadgate says is left on, and the next start reports
	// (package leftovers). Without it, what an exec command leaves
	// running in its process group is not killed at loadgate's exit.
	Ledger *leftovers.Ledger
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
		if env.Ledger != nil {
			a = &tracked{Action: a, ledger: env.Ledger, what: fmt.Sprintf("fault %s (%s)", f.Label(), f.Action)}
		}
		out[f.Label()] = a
	}
	return out, nil
}

// handUndoer is an action that can say how to undo it by hand, in one line
// (secrets masked): what loadgate prints when it exits with the fault on.
// An action without one, or whose line is empty, acts on something that
// dies with loadgate.
type handUndoer interface{ handUndo() string }

// tracked records its drill in the ledger from the start of the injection
// until an undo succeeds.
type tracked struct {
	Action
	ledger *leftovers.Ledger
	what   string

	mu  sync.Mutex // guards off
	off func()     // removes the record; nil when none
}

func (t *tracked) Inject(ctx context.Context) error {
	t.mu.Lock()
	if t.off == nil {
		undo := ""
		if h, ok := t.Action.(handUndoer); ok {
			undo = h.handUndo()
		}
		t.off = t.ledger.Drill(t.what, undo)
	}
	t.mu.Unlock()
	return t.Action.Inject(ctx)
}

func (t *tracked) Undo(ctx context.Context) error {
	err := t.Action.Undo(ctx)
	if err == nil {
		t.mu.Lock()
		if t.off != nil {
			t.off()
			t.off = nil
		}
		t.mu.Unlock()
	}
	return err
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
		if env.Redis == nil && !env.Allow[scenarios.ServiceRedis] && env.RedisURL != "" {
			return nil, errShared("redis_pause holds the commands of every client of that Redis", "a Redis", "REDIS_URL", scenarios.ServiceRedis, "")
		}
		if err := loopbackURL(env.RedisURL); err != nil {
			return nil, fmt.Errorf("redis_pause: %w", err)
		}
		return &redisPause{url: env.RedisURL, d: f.For.D(), given: env.Redis == nil}, nil
	case scenarios.FaultPGTerminate:
		if env.Postgres == nil && !env.Allow[scenarios.ServicePostgres] && env.DatabaseURL != "" {
			return nil, errShared("pg_terminate_backends ends every client's connection to that database", "a PostgreSQL", "DATABASE_URL", scenarios.ServicePostgres,
				", one given by its data directory ("+services.EnvPGData+")")
		}
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
		return newExec(env.Dir, f, env.Ledger)
	}
	return nil, fmt.Errorf("unknown action %q", f.Action)
}

// errShared refuses a drill on a service loadgate was given, not started.
func errShared(does, what, envURL, service, orGiven string) error {
	return fmt.Errorf("%s: loadgate does this only to %s it started itself (loadgate scenario starts one for a scenario with this fault; %s must then be unset)%s, or one the user allows drills on (%s=%s)",
		does, what, envURL, orGiven, EnvAllowDrills, service)
}

// EnvAllowDrills names the services, comma-separated ("postgres",
// "redis"), that the user allows redis_pause and pg_terminate_backends on
// although loadgate did not start them (a shared Redis or PostgreSQL given
// by REDIS_URL or DATABASE_URL): every other client of that service is
// paused or cut off.
const EnvAllowDrills = "LOADGATE_ALLOW_DRILLS"

// AllowedDrills reads EnvAllowDrills through getenv (Env.Allow). A name
// other than postgres or redis is an error naming the variable.
func AllowedDrills(getenv func(string) string) (map[string]bool, error) {
	allow := map[string]bool{}
	for _, name := range strings.Split(getenv(EnvAllowDrills), ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		switch name {
		case "":
		case scenarios.ServicePostgres, scenarios.ServiceRedis:
			allow[name] = true
		default:
			return nil, fmt.Errorf("%s: unknown service %q (postgres, redis)", EnvAllowDrills, name)
		}
	}
	return allow, nil
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

// handUndo is how to start a server loadgate was given by its data
// directory (services.DataDirServer); one it started dies with it.
func (a serverStop) handUndo() string {
	if s, ok := a.s.(interface{ StartCommand() string }); ok {
		return s.StartCommand()
	}
	return ""
}

// targetRestart stops the target and starts it again; Undo starts it if
// the restart was cut short.
type targetRestart struct {
	t    Target
	kill bool
}

func (a targetRestart) Inject(ctx context.Context) error { return a.t.Restart(ctx, a.kill) }
func (a targetRestart) Undo(ctx context.Context) error   { return a.t.Start(ctx) }
