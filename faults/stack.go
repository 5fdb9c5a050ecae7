package faults

import (
	"fmt"
	"net/url"

	"github.com/loadgate/loadgate/leftovers"
	"github.com/loadgate/loadgate/scenarios"
	"github.com/loadgate/loadgate/target/services"
)

// Stack is what a scenario's drills act on under `loadgate scenario`: the
// stack's own servers, and a TCP proxy in front of each service a network
// fault sits in front of. The target is given DatabaseURL and RedisURL,
// which name the proxy instead of the service when there is one.
type Stack struct {
	// DatabaseURL and RedisURL are what the target connects to.
	DatabaseURL, RedisURL string
	// Ledger, when set, is given to the drills (Env.Ledger).
	Ledger *leftovers.Ledger

	stack   *services.Stack
	proxies map[string]*Proxy
}

// NewStack places a proxy in front of each service sc's network faults
// name. Close stops them.
func NewStack(sc *scenarios.Scenario, stack *services.Stack) (*Stack, error) {
	s := &Stack{stack: stack, proxies: map[string]*Proxy{},
		DatabaseURL: stack.DatabaseURL, RedisURL: stack.RedisURL}
	for _, svc := range sc.NetworkServices() {
		raw := &s.DatabaseURL
		if svc == scenarios.ServiceRedis {
			raw = &s.RedisURL
		}
		u, err := url.Parse(*raw)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s URL: %w", svc, err)
		}
		p, err := NewProxy(svc, u.Host)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.proxies[svc] = p
		u.Host = p.Addr()
		*raw = u.String()
	}
	return s, nil
}

// Close stops the proxies.
func (s *Stack) Close() {
	for _, p := range s.proxies {
		p.Close()
	}
}

// Drills builds sc's drills against the stack, the target t loadgate
// started (nil: none) and what the user gave it leave to act on, read
// through getenv: when the stack did not start PostgreSQL, the one given by
// its data directory (services.EnvPGData); the services named by
// EnvAllowDrills.
func (s *Stack) Drills(sc *scenarios.Scenario, t *services.Target, getenv func(string) string) (map[string]Action, error) {
	allow, err := AllowedDrills(getenv)
	if err != nil {
		return nil, err
	}
	env := Env{DatabaseURL: s.stack.DatabaseURL, RedisURL: s.stack.RedisURL,
		Proxies: s.proxies, Dir: sc.Dir(), Ledger: s.Ledger, Allow: allow}
	// A nil pointer must stay a nil interface: "not ours".
	if t != nil {
		env.Target = t
	}
	if pg := s.stack.Postgres(); pg != nil {
		env.Postgres = pg
	} else if pgData := getenv(services.EnvPGData); pgData != "" {
		// Given explicitly: DATABASE_URL's server, by its data directory.
		pg, err := services.ByDataDir(pgData, s.stack.DatabaseURL)
		if err != nil {
			return nil, err
		}
		env.Postgres = pg
	}
	if r := s.stack.Redis(); r != nil {
		env.Redis = r
	}
	return Build(sc, env)
}
