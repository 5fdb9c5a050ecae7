package trial

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/target/seed"
)

// A scenario file of one's own runs against its own base_url under
// Scenario (what `make scenario NAME=file.yaml` calls): no services, no
// reference target; its requests reach its own target. Issue 23 item 1.
func TestScenarioFileRunsAgainstItsOwnTarget(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	body := fmt.Sprintf(`name: own
target: {base_url: %s, health: none}
load: {stages: [{duration: 1s, rate: 20/s}]}
requests: [{name: a, path: /}]
gates: ["error_rate < 1%%"]
`, srv.URL)
	var stdout, stderr bytes.Buffer
	env := Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	out := filepath.Join(t.TempDir(), "run")
	// Before, Scenario set up the stack and sent these requests to the
	// reference target it started on 127.0.0.1:8080.
	st := Stack{Profile: "optimized", Seed: seed.Defaults()}
	verdict, err := Scenario(context.Background(), env, Plan{Scenario: writeScenario(t, body), Out: out, Root: t.TempDir()}, st)
	if err != nil || verdict.Verdict != record.VerdictPass {
		t.Fatalf("verdict %+v, %v\n%s", verdict, err, stderr.String())
	}
	if hits.Load() == 0 {
		t.Error("the scenario's own target received nothing")
	}
	run, err := record.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	if run.Target != srv.URL {
		t.Errorf("run.json's target %s, want %s", run.Target, srv.URL)
	}
	if !strings.Contains(stderr.String(), "the scenario's own: no services or reference target are started") {
		t.Errorf("stderr does not say where it runs:\n%s", stderr.String())
	}
	// The run says it starts before its first progress line.
	if i, j := strings.Index(stderr.String(), "run: own against "+srv.URL+", 1s"), strings.Index(stderr.String(), "results: "); i < 0 || i > j {
		t.Errorf("stderr does not say the run starts before its results:\n%s", stderr.String())
	}
}

// The dry run says what Scenario will set up, and where the requests go:
// the reference stack for a built-in or a file naming the reference
// target's address, nothing for a file of one's own.
func TestScenarioDryRunSaysWhere(t *testing.T) {
	t.Parallel()
	own := writeScenario(t, "name: own\ntarget: {base_url: http://127.0.0.1:9000}\nload: {stages: [{duration: 1s, rate: 1/s}]}\nrequests: [{name: a, path: /}]\n")
	ref := writeScenario(t, "name: ref\ntarget: {base_url: http://localhost:8080}\nload: {stages: [{duration: 1s, rate: 1/s}]}\nrequests: [{name: a, path: /}]\n")
	for _, tt := range []struct {
		scenario, target string
		want             string
	}{
		{"steady", "", "the reference target started in profile optimized"},
		{ref, "", "the reference target started in profile optimized"},
		{own, "", "none: the scenario's own target"},
		{"steady", "http://10.0.0.1:3000", "none: the scenario's own target"}, // --target: not the reference target
	} {
		var stdout, stderr bytes.Buffer
		env := Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
		_, err := Scenario(context.Background(), env, Plan{Scenario: tt.scenario, Target: tt.target, DryRun: true}, Stack{Profile: "optimized"})
		if err != nil {
			t.Fatalf("%s: %v", tt.scenario, err)
		}
		if !strings.Contains(stdout.String(), tt.want) {
			t.Errorf("%s --target %q: dry run lacks %q:\n%s", tt.scenario, tt.target, tt.want, stdout.String())
		}
	}
}
