package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const faultsYAML = `name: drills
target: {base_url: http://127.0.0.1:8080}
load:
  stages:
    - {duration: 100s, rate: 10/s}
requests:
  - {name: home, path: /}
faults:
  - {at: 10s, for: 20s, action: redis_stop}
  - {at: 40s, action: pg_terminate_backends}
  - {at: 50s, for: 5s, action: pg_stop}
  - {name: slow_pg, at: 60s, for: 20s, action: latency, service: postgres, latency: 200ms, jitter: 20ms}
  - {at: 85s, action: target_restart}
  - {at: 90s, for: 2s, action: exec, run: [./drill.sh, "on"], undo: [./drill.sh, "off"], timeout: 5s}
`

// TestFaultsParse reads every kind of fault with its parameters and
// checks what the run and its plan see of them.
func TestFaultsParse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "drill.sh"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "drills.yaml")
	if err := os.WriteFile(path, []byte(faultsYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Faults) != 6 {
		t.Fatalf("faults: %d", len(sc.Faults))
	}
	f := sc.Faults[3]
	if f.Label() != "slow_pg" || f.Latency.D() != 200*time.Millisecond || f.Jitter.D() != 20*time.Millisecond || !f.Network() {
		t.Errorf("latency fault: %+v", f)
	}
	if sc.Faults[0].Label() != "redis_stop@10s" || sc.Faults[0].Target() != ServiceRedis || sc.Faults[0].Instant() {
		t.Errorf("redis fault: %+v label %s", sc.Faults[0], sc.Faults[0].Label())
	}
	if !sc.Faults[1].Instant() || !sc.Faults[4].Instant() || sc.Faults[5].Instant() {
		t.Error("instant: want pg_terminate_backends and target_restart instant, exec with undo not")
	}
	if got := sc.NetworkServices(); len(got) != 1 || got[0] != ServicePostgres {
		t.Errorf("network services: %v", got)
	}
	if !sc.RestartsTarget() {
		t.Error("a scenario with target_restart: RestartsTarget false")
	}
	if (&Scenario{Faults: []Fault{{Action: FaultTargetKill}}}).RestartsTarget() != true ||
		(&Scenario{Faults: []Fault{{Action: FaultRedisStop}, {Action: FaultLatency}}}).RestartsTarget() != false {
		t.Error("RestartsTarget: want true for target_kill alone, false for redis_stop and latency")
	}
	if f := sc.Faults[2]; f.At.D() != 50*time.Second || f.For.D() != 5*time.Second || f.Target() != ServicePostgres {
		t.Errorf("fault 2: at %s for %s on %s", f.At, f.For, f.Target())
	}
	if d := sc.Describe(); !strings.Contains(d, "slow_pg") || !strings.Contains(d, "instant  pg_terminate_backends postgres") {
		t.Errorf("describe:\n%s", d)
	}
	// A shorter run keeps the faults where they were in its shape.
	if err := sc.Apply(Overrides{Duration: 50 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if sc.Faults[0].At.D() != 5*time.Second || sc.Faults[0].For.D() != 10*time.Second {
		t.Errorf("scaled fault: at %s for %s", sc.Faults[0].At, sc.Faults[0].For)
	}
}

// TestFaultsChangePlanHash: shards of plans with other faults do not merge.
func TestFaultsChangePlanHash(t *testing.T) {
	t.Parallel()
	noEnv := Options{LookupEnv: func(string) (string, bool) { return "", false }}
	a, err := Parse([]byte(strings.ReplaceAll(faultsYAML, "./drill.sh", "true")), "a.yaml", "", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse([]byte(strings.ReplaceAll(strings.ReplaceAll(faultsYAML, "./drill.sh", "true"), "at: 10s", "at: 11s")), "b.yaml", "", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if a.PlanHash() == b.PlanHash() {
		t.Error("plan hash ignores the faults")
	}
}

// A sharded run of a scenario with faults is refused: every shard would
// inject every fault.
func TestFaultsRefuseShards(t *testing.T) {
	t.Parallel()
	sc, err := Parse([]byte(strings.ReplaceAll(faultsYAML, "./drill.sh", "true")), "a.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	err = sc.Apply(Overrides{Shard: Shard{Index: 1, Count: 2}})
	if err == nil || !strings.Contains(err.Error(), "without --shard") {
		t.Errorf("sharded faults: %v", err)
	}
}
