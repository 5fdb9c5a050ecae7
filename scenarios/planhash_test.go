package scenarios

import (
	"strings"
	"testing"
	"time"
)

// TestPlanHash: every shard of one plan has the plan's hash; another rate,
// target or gate makes another hash; header values do not count.
func TestPlanHash(t *testing.T) {
	t.Parallel()
	load := func(t *testing.T, o Overrides) *Scenario {
		t.Helper()
		sc, err := Builtin("steady")
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.Apply(o); err != nil {
			t.Fatal(err)
		}
		return sc
	}
	whole := load(t, Overrides{}).PlanHash()
	if !strings.HasPrefix(whole, "sha256:") || len(whole) != len("sha256:")+64 {
		t.Fatalf("hash %q", whole)
	}
	for i := 1; i <= 3; i++ {
		if h := load(t, Overrides{Shard: Shard{Index: i, Count: 3}}).PlanHash(); h != whole {
			t.Errorf("shard %d/3 hash %s, whole plan %s", i, h, whole)
		}
	}
	for name, o := range map[string]Overrides{
		"rate":     {Rate: 7},
		"duration": {Duration: 42e9},
		"target":   {TargetURL: "http://elsewhere:1"},
	} {
		if h := load(t, o).PlanHash(); h == whole {
			t.Errorf("a %s override kept the hash", name)
		}
	}
	sc := load(t, Overrides{})
	sc.Gates = append(sc.Gates, Gate{Expr: "p99 < 1s"})
	if sc.PlanHash() == whole {
		t.Error("another gate kept the hash")
	}
	sc = load(t, Overrides{})
	for k := range sc.Target.Headers {
		sc.Target.Headers[k] = "another secret"
	}
	if len(sc.Target.Headers) == 0 {
		t.Fatal("steady sends no headers: the case tests nothing")
	}
	if sc.PlanHash() != whole {
		t.Error("a header value changed the hash")
	}
}

// TestPlanHashFlows: a flow step's header values (tokens) do not count, its
// paths do.
func TestPlanHashFlows(t *testing.T) {
	t.Parallel()
	sc, err := Load("testdata/good/flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	whole := sc.PlanHash()
	sc.Flows[0].Steps[1].Headers["Authorization"] = "Bearer another"
	sc.planHash = ""
	if sc.PlanHash() != whole {
		t.Error("a step's header value changed the hash")
	}
	sc.Flows[0].Steps[1].Path = "/elsewhere"
	if sc.PlanHash() == whole {
		t.Error("another step path kept the hash")
	}
}

// TestAbortGates: a gate is a string or a mapping with an abort; the
// window defaults to 10s; the plan records the expressions.
func TestAbortGates(t *testing.T) {
	t.Parallel()
	src := `name: g
target: {base_url: "http://127.0.0.1:1"}
load:
  stages: [{duration: 10s, rate: 5/s}]
requests:
  - {name: a, path: /}
gates:
  - p95 < 3s
  - {expr: "error_rate < 5%", abort: {grace: 5s}}
  - {expr: "p99 < 1s", abort: {window: 20s}}
`
	sc, err := Parse([]byte(src), "g.yaml", ".")
	if err != nil {
		t.Fatal(err)
	}
	g := sc.Gates
	if len(g) != 3 || g[0].Expr != "p95 < 3s" || g[0].Abort != nil {
		t.Fatalf("gates %+v", g)
	}
	if a := g[1].Abort; a == nil || a.Window.D() != DefaultAbortWindow || a.Grace.D() != 5*time.Second || g[1].Expr != "error_rate < 5%" {
		t.Errorf("gate 1: %+v %+v", g[1], a)
	}
	if a := g[2].Abort; a == nil || a.Window.D() != 20*time.Second || a.Grace != 0 {
		t.Errorf("gate 2: %+v", a)
	}
	if got := sc.GateExprs(); strings.Join(got, "|") != "p95 < 3s|error_rate < 5%|p99 < 1s" {
		t.Errorf("gate expressions (run.json's plan.gates) %q", got)
	}
	if d := sc.Describe(); !strings.Contains(d, "error_rate < 5%  (aborts the run when it fails over 10s, from 5s after the warm-up)") {
		t.Errorf("dry run:\n%s", d)
	}
}
