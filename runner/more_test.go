package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/runner/results"
)

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
	run, _, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
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
	_, _, err = Run(context.Background(), bad, WithResultsRoot(root))
	if !errors.Is(err, ErrSetup) || !strings.Contains(err.Error(), "/broken") || !strings.Contains(err.Error(), "500") {
		t.Errorf("err = %v, want ErrSetup naming the URL and status", err)
	}
}

func TestProgressPlain(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 2500ms, rate: 20/s}]\nrequests: [{name: a, path: /}]\n")
	var out bytes.Buffer
	_, _, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()), WithProgress(&out), WithProgressEvery(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 || strings.Contains(out.String(), "\r") {
		t.Fatalf("progress:\n%q", out.String())
	}
	for _, want := range []string{"1s / 3s", "target 20.0/s", "achieved", "p95", "errors 0", "left"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("progress line %q lacks %q", lines[0], want)
		}
	}
}

func TestProgressTTY(t *testing.T) {
	var out bytes.Buffer
	p := &progress{w: &out, tty: true, total: 10 * time.Second, unit: "/s"}
	p.update(status{elapsed: time.Second, target: 5, achieved: 5, p95us: 1500, requests: 5})
	p.update(status{elapsed: 2 * time.Second, target: 5, achieved: 5, p95us: 1500, requests: 10})
	p.done()
	if got := strings.Count(out.String(), "\r\033[K"); got != 2 || !strings.HasSuffix(out.String(), "\n") {
		t.Errorf("terminal progress %q", out.String())
	}
	if !strings.Contains(out.String(), "p95 1.5ms") {
		t.Errorf("terminal progress %q lacks the p95", out.String())
	}
}

// TestClosedModelRamp checks that users ramp up: fewer requests in the
// first second (0 -> 4 users) than in the last (4 users).
func TestClosedModelRamp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, `load:
  model: closed
  think_time: 40ms
  stages:
    - {duration: 2s, users: 0 -> 4}
    - {duration: 1s, users: 4}
requests: [{name: a, path: /}]
`)
	_, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	tl := readTimeline(t, dir)
	if len(tl) < 3 || tl[0].Requests >= tl[2].Requests {
		t.Errorf("requests per second %v: want a ramp", requestsPerPoint(tl))
	}
	if tl[2].TargetRate != 4 {
		t.Errorf("target users in the last second %v, want 4", tl[2].TargetRate)
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
	run, _, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if run.Endpoints["a"].Requests != 5 || run.Endpoints["a"].Successes != 5 {
		t.Errorf("endpoint a: %+v, want the 5 unique ids sent", run.Endpoints["a"])
	}
	if !strings.Contains(fmt.Sprint(run.Warnings), "unique data exhausted") {
		t.Errorf("warnings %q", run.Warnings)
	}
	if run.Overall.Unsent == 0 {
		t.Error("the requests the schedule still had are not counted as unsent")
	}
}

func readTimeline(t *testing.T, dir string) []results.Point {
	t.Helper()
	tl, err := results.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tl.Points
}

func requestsPerPoint(points []results.Point) []int64 {
	var out []int64
	for _, p := range points {
		out = append(out, p.Requests)
	}
	return out
}

// TestClosedModelNoThinkTime: without think time the users still bound the
// requests in flight, below the peak (where Pace waits for a free user) and
// at it (where vegeta's worker cap does).
func TestClosedModelNoThinkTime(t *testing.T) {
	var inFlight, peakEarly, peakAll atomic.Int64
	var first atomic.Pointer[time.Time]
	raise := func(p *atomic.Int64, n int64) {
		for v := p.Load(); n > v && !p.CompareAndSwap(v, n); v = p.Load() {
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		now := time.Now()
		first.CompareAndSwap(nil, &now)
		n := inFlight.Add(1)
		raise(&peakAll, n)
		if now.Sub(*first.Load()) < 800*time.Millisecond {
			raise(&peakEarly, n)
		}
		time.Sleep(2 * time.Millisecond)
		inFlight.Add(-1)
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, `load:
  model: closed
  stages:
    - {duration: 1s, users: 2}
    - {duration: 1s, users: 5}
requests: [{name: a, path: /}]
`)
	run, _, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if peakEarly.Load() > 2 || peakAll.Load() > 5 {
		t.Errorf("%d requests in flight with 2 users, %d with 5", peakEarly.Load(), peakAll.Load())
	}
	if peakAll.Load() < 3 || run.Overall.Requests < 100 {
		t.Errorf("peak %d in flight, %d requests: the users did not keep the server busy", peakAll.Load(), run.Overall.Requests)
	}
}
