package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// scenarioFor parses a scenario aimed at url; body is the YAML after the
// target block.
func scenarioFor(t *testing.T, url, body string) *scenarios.Scenario {
	t.Helper()
	src := fmt.Sprintf("name: test\ntarget:\n  base_url: %s\n  timeout: 5s\n  health: /health\n%s", url, body)
	sc, err := scenarios.Parse([]byte(src), "test.yaml", t.TempDir())
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	return sc
}

// okServer answers every request 200 with a small body and counts them.
func okServer(t *testing.T, count *atomic.Int64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"status":"ok","profile":"test"}`)
			return
		}
		if count != nil {
			count.Add(1)
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRunWritesResults(t *testing.T) {
	var hits atomic.Int64
	srv := okServer(t, &hits)
	sc := scenarioFor(t, srv.URL, `load:
  warmup: 500ms
  stages:
    - {duration: 1s, rate: 0 -> 40/s}
    - {duration: 1500ms, rate: 40/s}
data:
  id: {range: [1, 9]}
requests:
  - {name: a, weight: 3, path: "/a/{{id}}"}
  - {name: b, weight: 1, path: /b, method: POST, body: "x={{id}}"}
gates: [p95 < 3s]
`)
	root := t.TempDir()
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	if want := int64(80); hits.Load() != want {
		t.Errorf("server saw %d requests, want exactly %d (20 in the ramp, 60 at 40/s)", hits.Load(), want)
	}
	if run.Status != record.StatusCompleted {
		t.Errorf("status %q", run.Status)
	}
	if run.Profile != "test" {
		t.Errorf("profile %q, want the health check's", run.Profile)
	}
	// The warm-up (first 0.5 s: 40*0.5²/2 = 5 requests) is excluded.
	if run.Overall.Requests != 75 || run.Overall.Successes != 75 {
		t.Errorf("overall requests %d successes %d, want 75 and 75", run.Overall.Requests, run.Overall.Successes)
	}
	if got := run.Endpoints["a"].Requests + run.Endpoints["b"].Requests; got != 75 {
		t.Errorf("endpoints add up to %d, want 75", got)
	}
	if run.Endpoints["a"].Requests < run.Endpoints["b"].Requests {
		t.Errorf("a (weight 3) got %d, b (weight 1) %d", run.Endpoints["a"].Requests, run.Endpoints["b"].Requests)
	}
	if run.Overall.LatencyUS.P95 <= 0 || run.Overall.LatencyUS.P95 < run.Overall.ServiceTimeUS.P50 {
		t.Errorf("latency %+v service %+v", run.Overall.LatencyUS, run.Overall.ServiceTimeUS)
	}
	if run.Overall.StatusCodes["200"] != 75 {
		t.Errorf("status codes %v", run.Overall.StatusCodes)
	}
	if len(run.Plan.Gates) != 1 || len(run.Gates) != 0 {
		t.Errorf("plan gates %v, gates %v", run.Plan.Gates, run.Gates)
	}
	for _, f := range []string{record.RunFile, record.TimelineFile, record.HlogFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.HasSuffix(dir, run.ID) {
		t.Errorf("directory %s, run id %s", dir, run.ID)
	}
	tl, err := record.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, p := range tl.Points {
		sum += p.Requests
	}
	if sum != 80 || !tl.Points[0].Warmup {
		t.Errorf("timeline holds %d requests (want 80, warm-up included) in %d points; first warmup=%v", sum, len(tl.Points), tl.Points[0].Warmup)
	}
}

func TestRunUnreachableTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	sc := scenarioFor(t, url, "load:\n  stages: [{duration: 1s, rate: 10/s}]\nrequests: [{name: a, path: /}]\n")
	root := t.TempDir()
	start := time.Now()
	_, _, err = runWritten(context.Background(), sc, WithResultsRoot(root), WithPreflightTimeout(time.Second))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if !strings.Contains(err.Error(), url+"/health") {
		t.Errorf("error %q does not name the URL", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("preflight took %s", time.Since(start))
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("results root holds %d entries, want nothing written", len(entries))
	}
}

func TestOutDir(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 300ms, rate: 10/s}]\nrequests: [{name: a, path: /}]\n")
	root, elsewhere := t.TempDir(), t.TempDir()
	out := filepath.Join(elsewhere, "mine")
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(root), WithOutDir(out))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	if dir != out || run.ID != "mine" {
		t.Errorf("dir %s id %s, want %s", dir, run.ID, out)
	}
	if _, _, err := runWritten(context.Background(), sc, WithResultsRoot(root), WithOutDir(out)); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a second run into the same --out: %v", err)
	}
}

func TestSetupRequests(t *testing.T) {
	var setupSeen, loadBeforeSetup atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
		case "/setup":
			setupSeen.Add(1)
		case "/broken":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			if setupSeen.Load() == 0 {
				loadBeforeSetup.Add(1)
			}
		}
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, `load:
  stages: [{duration: 500ms, rate: 20/s}]
setup: [{name: prepare, method: POST, path: /setup, body: "{}"}]
requests: [{name: a, path: /a}]
`)
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	if setupSeen.Load() != 1 || loadBeforeSetup.Load() != 0 || run.Overall.Requests != 10 {
		t.Errorf("setup sent %d times, %d load requests before it, %d recorded", setupSeen.Load(), loadBeforeSetup.Load(), run.Overall.Requests)
	}
	if _, ok := run.Endpoints["prepare"]; ok {
		t.Error("the setup request was recorded as load")
	}

	bad := scenarioFor(t, srv.URL, `load:
  stages: [{duration: 500ms, rate: 20/s}]
setup: [{name: prepare, path: /broken}]
requests: [{name: a, path: /a}]
`)
	root := t.TempDir()
	_, _, err = runWritten(context.Background(), bad, WithResultsRoot(root))
	if !errors.Is(err, ErrSetup) || !strings.Contains(err.Error(), "/broken") || !strings.Contains(err.Error(), "500") {
		t.Errorf("err = %v, want ErrSetup naming the URL and status", err)
	}
}

func TestUniqueExhaustionStopsWithWarning(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, `load:
  stages: [{duration: 2s, rate: 20/s}]
data:
  id: {range: [1, 5], pick: unique}
requests: [{name: a, path: "/{{id}}"}]
`)
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	if run.Endpoints["a"].Requests != 5 || run.Endpoints["a"].Successes != 5 {
		t.Errorf("endpoint a: %+v, want the 5 unique ids sent", run.Endpoints["a"])
	}
	if !strings.Contains(fmt.Sprint(run.Warnings), "unique data exhausted") {
		t.Errorf("warnings %q", run.Warnings)
	}
	// The rest of the schedule is said by stopped, not counted as unsent
	// requests: the plan ended where the data did (before, the request
	// that found no data, and those due while the attack wound down, were
	// counted unsent, and the generator blamed for them).
	if run.Stopped == nil || run.Stopped.AtS >= run.Stopped.PlanS || run.Stopped.Unsent(run.WarmupS) < 0.5 {
		t.Errorf("stopped %+v: the rest of the schedule is not said", run.Stopped)
	}
	if g := run.Generator; run.Overall.Unsent != 0 || g == nil || g.Planned != 5 || g.Sent != 5 {
		t.Errorf("generator %+v, %d unsent; want the 5 requests with data planned and sent", g, run.Overall.Unsent)
	}
}

// TestStartAt: the attack starts at the common start, not before, and
// run.json records both; a start already past starts at once and says how
// late.
func TestStartAt(t *testing.T) {
	srv := okServer(t, nil)
	yaml := "load:\n  stages: [{duration: 300ms, rate: 20/s}]\nrequests:\n  - {name: a, path: /a}\n"
	at := time.Now().Add(600 * time.Millisecond).Truncate(time.Millisecond)
	run, _, err := runWritten(context.Background(), scenarioFor(t, srv.URL, yaml), WithResultsRoot(t.TempDir()), WithStartAt(at))
	if err != nil {
		t.Fatal(err)
	}
	if run.StartAt == nil || !run.StartAt.Equal(at) || run.Started.Before(at) {
		t.Errorf("start_at %v, started %v; want started at or after %v", run.StartAt, run.Started, at)
	}
	if lateWarned(run.Warnings) {
		t.Errorf("an on-time start warned: %q", run.Warnings)
	}

	past := time.Now().Add(-5 * time.Second)
	run, _, err = runWritten(context.Background(), scenarioFor(t, srv.URL, yaml), WithResultsRoot(t.TempDir()), WithStartAt(past))
	if err != nil {
		t.Fatal(err)
	}
	if !lateWarned(run.Warnings) {
		t.Errorf("a late start: warnings %q", run.Warnings)
	}

	// Cancelled while waiting: an error, and no run directory.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	root := t.TempDir()
	_, _, err = runWritten(ctx, scenarioFor(t, srv.URL, yaml), WithResultsRoot(root), WithStartAt(time.Now().Add(time.Hour)))
	if err == nil || !strings.Contains(err.Error(), "waiting for the common start") {
		t.Errorf("a cancelled wait for the start: %v", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("a run that never started left %d entries in the results root", len(entries))
	}
}

func lateWarned(warnings []string) bool {
	for _, w := range warnings {
		if strings.Contains(w, "after --start-at") {
			return true
		}
	}
	return false
}

// TestCheckoutCommit: the commit a run records by default is the one checked
// out where it runs (git rev-parse --short HEAD), and none outside a checkout.
func TestCheckoutCommit(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	if got := checkoutCommit(dir); got != "" {
		t.Errorf("outside a checkout: %q, want none", got)
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("commit", "-q", "--allow-empty", "-m", "first")
	want := git("rev-parse", "--short", "HEAD")
	if got := checkoutCommit(dir); got != want || want == "" {
		t.Errorf("in a checkout at %s: %q", want, got)
	}
}
