package faults

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/scenarios"
	"github.com/loadgate/loadgate/target/services"
)

// scenarioWith parses a 60 s scenario with the given faults (YAML list items).
func scenarioWith(t *testing.T, faults string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse([]byte("name: s\ntarget: {base_url: http://127.0.0.1:1, health: none}\n"+
		"load: {stages: [{duration: 60s, rate: 1/s}]}\nrequests: [{name: a, path: /}]\nfaults:\n"+faults), "s.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// A network fault puts a proxy between the target and that service only:
// the target is given the proxy's address, through which the service
// answers, and the fault's drill acts on that proxy. The stack's own
// servers are what redis_stop stops; a target drill needs the target.
func TestStackDrills(t *testing.T) {
	ctx := context.Background()
	sc := scenarioWith(t, `  - {name: slow, at: 1s, for: 5s, action: latency, service: postgres, latency: 10ms}
  - {name: down, at: 1s, for: 5s, action: redis_stop}
`)
	s, err := NewStack(sc, stack)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.RedisURL != stack.RedisURL {
		t.Errorf("Redis, which no network fault names, got a proxy: %s", s.RedisURL)
	}
	if hostPort(t, s.DatabaseURL) == hostPort(t, stack.DatabaseURL) {
		t.Fatalf("the target is not sent through the proxy: %s", s.DatabaseURL)
	}
	if u, _ := url.Parse(s.DatabaseURL); u.Path != "/loadgate" {
		t.Errorf("only the address changes: %s", s.DatabaseURL)
	}
	if err := pingPG(s.DatabaseURL); err != nil {
		t.Fatalf("PostgreSQL through the proxy: %v", err)
	}
	drills, err := s.Drills(sc, nil, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	p := s.proxies["postgres"]
	if err := drills["slow"].Inject(ctx); err != nil {
		t.Fatal(err)
	}
	if n := p.Toxics(); n != 1 {
		t.Errorf("the latency drill put %d toxics on the proxy", n)
	}
	if err := drills["slow"].Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := drills["down"].Inject(ctx); err != nil {
		t.Fatal(err)
	}
	if pingRedis(stack.RedisURL, 300*time.Millisecond) == nil {
		t.Error("the stack's Redis answers after redis_stop")
	}
	if err := drills["down"].Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pingRedis(stack.RedisURL, 2*time.Second); err != nil {
		t.Errorf("the stack's Redis is not back: %v", err)
	}

	_, err = s.Drills(scenarioWith(t, "  - {at: 1s, action: target_restart}\n"), nil, noEnv)
	if err == nil || !strings.Contains(err.Error(), "target loadgate started") {
		t.Errorf("target_restart without a target: %v", err)
	}
}

// pg_stop on a PostgreSQL loadgate did not start takes the one given by
// its data directory (LOADGATE_PG_DATA), checked against DATABASE_URL
// (services.TestDataDirServer stops and starts one); without it, refused.
func TestDrillsGivenPostgres(t *testing.T) {
	t.Parallel()
	sc := scenarioWith(t, "  - {at: 1s, for: 1s, action: pg_stop}\n")
	s, err := NewStack(sc, &services.Stack{DatabaseURL: "postgres://postgres@127.0.0.1:5432/x"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Drills(sc, nil, noEnv); err == nil || !strings.Contains(err.Error(), "LOADGATE_PG_DATA") {
		t.Errorf("without a data directory: %v", err)
	}
	if _, err := s.Drills(sc, nil, envOf(services.EnvPGData, t.TempDir())); err == nil || !strings.Contains(err.Error(), "no running PostgreSQL there") {
		t.Errorf("a directory with no server: %v", err)
	}
}

// noEnv is an empty environment; envOf one with the variable k set to v.
func noEnv(string) string { return "" }

func envOf(k, v string) func(string) string {
	return func(name string) string {
		if name == k {
			return v
		}
		return ""
	}
}

// Under loadgate scenario, redis_pause and pg_terminate_backends against
// services loadgate was given (REDIS_URL, DATABASE_URL) are refused unless
// LOADGATE_ALLOW_DRILLS names them; against the stack's own, built.
func TestDrillsGivenServices(t *testing.T) {
	t.Parallel()
	sc := scenarioWith(t, "  - {at: 1s, for: 1s, action: redis_pause}\n  - {at: 3s, action: pg_terminate_backends}\n")
	given, err := NewStack(sc, &services.Stack{DatabaseURL: stack.DatabaseURL, RedisURL: stack.RedisURL})
	if err != nil {
		t.Fatal(err)
	}
	defer given.Close()
	if _, err := given.Drills(sc, nil, noEnv); err == nil || !strings.Contains(err.Error(), "LOADGATE_ALLOW_DRILLS=redis") {
		t.Errorf("given Redis: %v", err)
	}
	if _, err := given.Drills(sc, nil, envOf(EnvAllowDrills, "redis")); err == nil || !strings.Contains(err.Error(), "LOADGATE_ALLOW_DRILLS=postgres") {
		t.Errorf("given PostgreSQL, Redis allowed: %v", err)
	}
	if _, err := given.Drills(sc, nil, envOf(EnvAllowDrills, "redis,postgres")); err != nil {
		t.Errorf("both allowed: %v", err)
	}
	if _, err := given.Drills(sc, nil, envOf(EnvAllowDrills, "redis,mysql")); err == nil || !strings.Contains(err.Error(), `unknown service "mysql"`) {
		t.Errorf("an unknown service: %v", err)
	}
	own, err := NewStack(sc, stack)
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if _, err := own.Drills(sc, nil, noEnv); err != nil {
		t.Errorf("the stack's own services: %v", err)
	}
}
