package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/runner/results"
	"github.com/loadgate/loadgate/scenarios"
	"github.com/loadgate/loadgate/target/services"
)

const drillsScenario = `name: drills
target:
  base_url: http://127.0.0.1:8080
  headers: {X-API-Key: dev-key}
  health: /api/health
  timeout: 5s
load:
  stages: [{duration: 26s, rate: 15/s}]
data:
  user: {range: [1, 40]}
  food: {range: [1, 150]}
requests:
  - {name: xp, weight: 2, path: "/api/v1/users/{{user}}/xp"}
  - name: log_meal
    method: POST
    path: "/api/v1/users/{{user}}/meals"
    headers: {Content-Type: application/json}
    body: '{"food_id": {{food}}, "grams": 100}'
faults:
  - {name: restart, at: 2s, action: target_restart}
  - {name: kill, at: 6s, action: target_kill}
  - {name: redis_down, at: 9s, for: 2s, action: redis_stop}
  - {name: backends, at: 12s, action: pg_terminate_backends}
  - {name: pg_down, at: 14s, for: 2s, action: pg_stop}
  - {name: pg_slow, at: 18s, for: 2s, action: latency, service: postgres, latency: 100ms}
  - {name: redis_paused, at: 21s, for: 1s, action: redis_pause}
gates:
  - writes_lost <= 0
`

// TestScenarioDrills runs every built-in drill against the reference
// target under loadgate scenario, on throwaway servers of its own: each is
// injected and undone without error, measured, shaded, and no meal the
// target acknowledged is lost.
func TestScenarioDrills(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, Redis and the target, and restarts them")
	}
	t.Setenv(envCLI, "1")
	// The machine's shared servers are never stopped: with no URL given,
	// the drills get servers of their own.
	t.Setenv("DATABASE_URL", "")
	t.Setenv("REDIS_URL", "")
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCLI(t, "scenario", writeScenario(t, drillsScenario), "--out", out,
		"--users", "40", "--foods", "150", "--messages", "50")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	run, err := results.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Faults) != 7 {
		t.Fatalf("faults: %+v", run.Faults)
	}
	for _, f := range run.Faults {
		if !f.Injected || f.Error != "" || f.UndoError != "" || f.EndS == nil || f.Measured == nil {
			t.Errorf("fault %s: %+v (measured %+v)", f.Name, f, f.Measured)
		}
	}
	if run.Writes == nil || run.Writes.Acknowledged == 0 || run.Writes.Lost != 0 {
		t.Errorf("writes: %+v", run.Writes)
	}
	if !strings.Contains(stderr, "fault kill: target_kill injected") {
		t.Errorf("progress does not show the drills:\n%s", stderr)
	}
	html, _ := os.ReadFile(filepath.Join(out, results.ReportFile))
	if !strings.Contains(string(html), `id="faults"`) || !strings.Contains(string(html), "markArea") {
		t.Error("report.html has no fault table or shading")
	}
	checkLogs(t, out)
}

// loadgate run runs exec faults against any target, and refuses a built-in
// drill (it starts nothing to stop) before sending anything: exit 2.
func TestRunExecFaults(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer srv.Close()
	mark := filepath.Join(t.TempDir(), "on")
	body := fmt.Sprintf(`name: ex
target: {base_url: %s, health: none}
load: {stages: [{duration: 3s, rate: 10/s}]}
requests: [{name: a, path: /}]
faults:
  - {name: drain, at: 1s, for: 1s, action: exec, run: [touch, %q], undo: [rm, %q]}
`, srv.URL, mark, mark)
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCLI(t, "run", writeScenario(t, body), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	run, err := results.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Faults) != 1 || !run.Faults[0].Injected || run.Faults[0].EndS == nil || run.Faults[0].Measured == nil {
		t.Errorf("faults: %+v", run.Faults)
	}
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		t.Errorf("the exec fault was not undone: %v", err)
	}

	out2 := filepath.Join(t.TempDir(), "run2")
	code, _, stderr = runCLI(t, "run", writeScenario(t, strings.Replace(body, "action: exec, run:", "action: redis_stop}\n  - {name: x, at: 2.5s, for: 0.2s, action: exec, run:", 1)), "--out", out2)
	if code != 2 || !strings.Contains(stderr, "only a Redis it started itself") {
		t.Errorf("built-in drill under run: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Errorf("a run directory was written: %v", err)
	}
}

// lineWaiter is an io.Writer that signals once a line holding want was written.
type lineWaiter struct {
	mu   sync.Mutex // guards buf and seen
	buf  strings.Builder
	want string
	seen chan struct{}
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.seen != nil && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
		w.seen = nil
	}
	return len(p), nil
}

func (w *lineWaiter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// The first Ctrl-C in the middle of the faults undoes every one before
// loadgate scenario exits: Redis and PostgreSQL started again, the exec
// fault's state gone, each fault recorded with its end.
func TestScenarioInterruptUndoes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, Redis and the target")
	}
	mark := filepath.Join(t.TempDir(), "on")
	body := fmt.Sprintf(`name: intr
target: {base_url: "http://127.0.0.1:8080", headers: {X-API-Key: dev-key}, health: /api/health}
load: {stages: [{duration: 60s, rate: 10/s}]}
data: {user: {range: [1, 20]}}
requests: [{name: xp, path: "/api/v1/users/{{user}}/xp"}]
faults:
  - {name: redis_down, at: 1s, for: 50s, action: redis_stop}
  - {name: pg_down, at: 1s, for: 50s, action: pg_stop}
  - {name: mark, at: 1s, for: 50s, action: exec, run: [touch, %q], undo: [rm, %q]}
`, mark, mark)
	out := filepath.Join(t.TempDir(), "run")
	cmd := cli(t, []string{"DATABASE_URL=", "REDIS_URL="}, "scenario", writeScenario(t, body), "--out", out,
		"--users", "20", "--foods", "50", "--messages", "20")
	w := &lineWaiter{want: "fault pg_down: pg_stop injected", seen: make(chan struct{})}
	seen := w.seen
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-seen:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("the faults were never injected:\n%s", w)
	}
	if _, err := os.Stat(mark); err != nil {
		t.Errorf("the exec fault is not on: %v", err)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for _, want := range []string{"fault redis_down: undone", "fault pg_down: undone", "fault mark: undone"} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, w)
		}
	}
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		t.Errorf("the exec fault was not undone: %v", err)
	}
	run, err := results.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != results.StatusAborted {
		t.Errorf("status %s", run.Status)
	}
	for _, f := range run.Faults {
		if f.EndS == nil || f.UndoError != "" || *f.EndS > 40 {
			t.Errorf("fault %s: %+v", f.Name, f)
		}
	}
}

// pg_stop on a PostgreSQL loadgate did not start takes the one given by
// its data directory (LOADGATE_PG_DATA), checked against DATABASE_URL
// (services.TestDataDirServer stops and starts one); without it, refused.
func TestDrillsGivenPostgres(t *testing.T) {
	sc, err := scenarios.Parse([]byte(`name: g
target: {base_url: "http://127.0.0.1:1", health: none}
load: {stages: [{duration: 10s, rate: 1/s}]}
requests: [{name: a, path: /}]
faults: [{at: 1s, for: 1s, action: pg_stop}]
`), "g.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := &drillStack{stack: &services.Stack{DatabaseURL: "postgres://postgres@127.0.0.1:5432/x"}}
	t.Setenv(services.EnvPGData, "")
	if _, err := d.build(sc, nil); err == nil || !strings.Contains(err.Error(), "LOADGATE_PG_DATA") {
		t.Errorf("without a data directory: %v", err)
	}
	dir := t.TempDir()
	t.Setenv(services.EnvPGData, dir)
	if _, err := d.build(sc, nil); err == nil || !strings.Contains(err.Error(), "no running PostgreSQL there") {
		t.Errorf("a directory with no server: %v", err)
	}
}
