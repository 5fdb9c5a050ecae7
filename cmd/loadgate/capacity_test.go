package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

const capacityScenario = `name: knee
target:
  base_url: http://127.0.0.1:1
  health: none
load:
  model: closed
  stages:
    - {duration: 2s, users: 8}
requests:
  - {name: hello, weight: 1, method: GET, path: /hello}
gates:
  - p95 < 50ms
  - error_rate < 1%
`

// errorsOnly is capacityScenario gated on errors only: what a test of
// something else (a profile, an interrupt) needs to hold whatever the
// machine's speed (a loaded machine has shown p95 70 ms for a 1 ms server).
var errorsOnly = strings.Replace(capacityScenario, "  - p95 < 50ms\n", "", 1)

// overloadServer holds each request 100 ms while at most knee are in flight
// and answers 503 at once beyond: its capacity for a closed-model load with
// no think time is knee users, exactly (up to knee users never have more
// than knee requests in flight), whatever the machine's speed.
func overloadServer(t *testing.T, knee int64) *httptest.Server {
	var inFlight atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		if n > knee {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		time.Sleep(100 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// kneeServer answers in 1 ms while at most knee requests are in flight and
// in 100 ms beyond: its capacity for a closed-model load with no think time
// is knee users.
func kneeServer(t *testing.T, knee int64) *httptest.Server {
	var inFlight atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		d := time.Millisecond
		if n > knee {
			d = 100 * time.Millisecond
		}
		time.Sleep(d)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestFindCapacityFindsTheKnee: the search steps up to the first level the
// gates fail at. The server's knee is in requests in flight (503 beyond
// 8), not in its speed, so the answer does not depend on the machine's.
func TestFindCapacityFindsTheKnee(t *testing.T) {
	srv := overloadServer(t, 8)
	root := t.TempDir()
	code, out, errs := runCLI(t, "run", writeScenario(t, errorsOnly), "--target", srv.URL, "--results", root,
		"--find-capacity", "--capacity-start", "2", "--capacity-increment", "3", "--capacity-max", "30",
		"--step-hold", "1200ms", "--step-ramp", "200ms", "--step-exclude", "300ms")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	// Levels 2, 5, 8 hold; 11 users exceed the server's 8.
	if !strings.Contains(out, "capacity: 8 users at error_rate < 1%") || !strings.Contains(out, "knee at 11 users") {
		t.Errorf("answer: %s", out)
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "*-knee-capacity"))
	if len(dirs) != 1 {
		t.Fatalf("capacity directories: %v", dirs)
	}
	data, err := os.ReadFile(filepath.Join(dirs[0], record.CapacityFile))
	if err != nil {
		t.Fatal(err)
	}
	var c record.Capacity
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if !c.Found || c.Capacity != 8 || c.Knee != 11 || len(c.Steps) != 4 {
		t.Fatalf("capacity.json: found %v capacity %v knee %v steps %d", c.Found, c.Capacity, c.Knee, len(c.Steps))
	}
	for i, want := range []float64{2, 5, 8, 11} {
		st := c.Steps[i]
		if st.Level != want {
			t.Errorf("step %d level %v, want %v", i, st.Level, want)
		}
		if _, err := record.ReadRun(filepath.Join(dirs[0], st.Dir)); err != nil {
			t.Errorf("step %d directory: %v", i, err)
		}
		checkLogs(t, filepath.Join(dirs[0], st.Dir))
		if st.AchievedRate <= 0 || len(st.Gates) != 1 {
			t.Errorf("step %d: achieved %v, gates %v", i, st.AchievedRate, st.Gates)
		}
	}
	if last := c.Steps[3]; last.Verdict != record.VerdictFail || last.ErrorRate < 0.01 {
		t.Errorf("knee step: verdict %s, error rate %v", last.Verdict, last.ErrorRate)
	}
	for _, st := range c.Steps[:3] {
		if st.Verdict != record.VerdictPass || st.ErrorRate != 0 {
			t.Errorf("step at %v users: verdict %s, error rate %v", st.Level, st.Verdict, st.ErrorRate)
		}
	}
	html, err := os.ReadFile(filepath.Join(dirs[0], record.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"capacity-chart", "8 users (capacity)", "11 users (knee)", "step-04-11/report.html"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// latest names the search, the last thing made, and gate judges it by
	// its answer (issue 23 item 4).
	if link, err := os.Readlink(filepath.Join(root, record.LatestLink)); err != nil || link != filepath.Base(dirs[0]) {
		t.Errorf("latest -> %q, %v; want %s", link, err, filepath.Base(dirs[0]))
	}
	code, out, errs = runCLI(t, "gate", filepath.Join(root, record.LatestLink))
	if code != 0 || !strings.Contains(out, "capacity search knee") || !strings.Contains(out, "PASS — capacity 8 users") {
		t.Errorf("gate of the search: exit %d\n%s\n%s", code, out, errs)
	}
}

func TestFindCapacityFirstLevelUnknown(t *testing.T) {
	srv := kneeServer(t, 100)
	// The target's /metrics has no cache counter: the gate is unknown.
	scraped := capacityScenario + "metrics:\n  url: http://127.0.0.1:1/metrics\n  series: {cache_hit_rate: 'ratio(increase(c_total{r=\"hit\"}), increase(c_total))'}\n"
	code, out, errs := runCLI(t, "run", writeScenario(t, scraped), "--target", srv.URL, "--results", t.TempDir(),
		"--gate", "cache_hit_rate > 50%", "--find-capacity", "--capacity-start", "2", "--capacity-max", "4",
		"--step-hold", "600ms", "--step-ramp", "0s", "--step-exclude", "100ms")
	if code != 2 || !strings.Contains(out, "capacity: none found") || !strings.Contains(errs, "could not be evaluated") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// TestFindCapacityRefusesFaults: a capacity search of a scenario with a
// fault ran its first step without a drill ("did not hold p95", then an
// internal "has no drill"). It is refused with exit 2 before any request,
// naming the fault, whether a dry run or not, and leaves no directory.
func TestFindCapacityRefusesFaults(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	sc := writeScenario(t, capacityScenario+"faults:\n  - {name: flip, at: 200ms, action: exec, run: [/bin/true]}\n")
	for _, extra := range [][]string{nil, {"--dry-run"}} {
		root := filepath.Join(t.TempDir(), "results")
		args := append([]string{"run", sc, "--target", srv.URL, "--results", root, "--find-capacity",
			"--capacity-start", "2", "--capacity-max", "4", "--step-hold", "600ms", "--step-ramp", "0s", "--step-exclude", "100ms"}, extra...)
		code, out, errs := runCLI(t, args...)
		if code != 2 || !strings.Contains(errs, "faults (flip)") || strings.Contains(errs, "no drill") {
			t.Errorf("%v: exit %d, want 2 naming the fault\nstdout: %s\nstderr: %s", extra, code, out, errs)
		}
		if _, err := os.Stat(root); !os.IsNotExist(err) {
			t.Errorf("%v: the results root exists (%v)", extra, err)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the target received %d requests", hits.Load())
	}
}

func TestCapacityFlagErrors(t *testing.T) {
	t.Parallel()
	sc := writeScenario(t, capacityScenario)
	cases := []struct {
		args     []string
		contains string
	}{
		{[]string{"run", sc, "--capacity-max", "10"}, "need --find-capacity"},
		{[]string{"run", sc, "--find-capacity", "--capacity-factor", "1"}, "--capacity-factor 1: want more than 1"},
		{[]string{"run", sc, "--find-capacity", "--step-hold", "5s", "--step-exclude", "5s"}, "--step-hold 5s: must be longer than the part of it not measured (5s)"},
		{[]string{"run", sc, "--find-capacity", "--duration", "10s"}, "--find-capacity sets the levels"},
		{[]string{"run", sc, "--find-capacity", "--capacity-start", "10", "--capacity-max", "5"}, "below the first level"},
		{[]string{"run", sc, "--find-capacity", "--capacity-start", "-1"}, "--capacity-start -1"},
		{[]string{"run", sc, "--find-capacity", "--capacity-start", "1", "--capacity-max", "1000000", "--capacity-factor", "1.01"}, "more than 50 steps"},
		{[]string{"run", sc, "--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.out"), "--dry-run"}, "--cpuprofile"},
	}
	for _, c := range cases {
		code, out, errs := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(out+errs, c.contains) {
			t.Errorf("%v: exit %d, want 2 with %q\nstdout: %s\nstderr: %s", c.args[2:], code, c.contains, out, errs)
		}
	}
}

func TestFindCapacityDryRunListsLevels(t *testing.T) {
	t.Parallel()
	code, out, errs := runCLI(t, "run", "users", "--find-capacity", "--dry-run")
	// users ends at 100 users: 25, ×1.5 … up to 400.
	if code != 0 || !strings.Contains(out, "levels 25, 38, 57, 86, 129, 194, 291") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// TestCPUProfile: --cpuprofile writes a profile of the run. Its gate is on
// errors only: a latency gate failed it on a loaded machine (exit 1).
func TestCPUProfile(t *testing.T) {
	srv := kneeServer(t, 100)
	prof := filepath.Join(t.TempDir(), "cpu.out")
	code, out, errs := runCLI(t, "run", writeScenario(t, strings.Replace(errorsOnly, "2s", "1s", 1)), "--target", srv.URL,
		"--out", filepath.Join(t.TempDir(), "r"), "--cpuprofile", prof)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	st, err := os.Stat(prof)
	if err != nil || st.Size() == 0 {
		t.Fatalf("profile: %v", err)
	}
}

// An interrupt ends the search; the step it cut short is neither the
// capacity nor the knee. The interrupt comes with the first request the
// target sees after the search said it starts step 2, so it cuts step 2
// whatever the machine's speed; the gate is on errors only, which a slow
// machine does not make (a latency gate could fail step 1 under load).
func TestFindCapacityInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	step2 := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-step2:
			cancel()
		default:
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	root := t.TempDir()
	var out bytes.Buffer
	errb := &signalWriter{mark: "capacity: step 2 at", seen: func() { once.Do(func() { close(step2) }) }}
	sc := errorsOnly
	err := cmdRun(ctx, env{stdout: &out, stderr: errb, getenv: func(string) string { return "" }}, []string{
		writeScenario(t, sc), "--target", srv.URL, "--results", root,
		"--find-capacity", "--capacity-start", "2", "--capacity-increment", "3", "--capacity-max", "30",
		"--step-hold", "2s", "--step-ramp", "0s", "--step-exclude", "300ms"})
	if err != nil {
		t.Fatalf("%v\nstdout: %s\nstderr: %s", err, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "capacity: 2 users at") || !strings.Contains(out.String(), "interrupted at 5 users") {
		t.Errorf("answer: %s", out.String())
	}
	m, _ := filepath.Glob(filepath.Join(root, "*-capacity", record.CapacityFile))
	if len(m) != 1 {
		t.Fatalf("capacity.json: %v", m)
	}
	data, _ := os.ReadFile(m[0])
	var c record.Capacity
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if !c.Found || c.Capacity != 2 || c.Knee != 0 || len(c.Steps) != 2 || c.Steps[1].Error != "interrupted" {
		t.Errorf("found %v capacity %v knee %v steps %+v", c.Found, c.Capacity, c.Knee, c.Steps)
	}
}

// signalWriter keeps what is written and calls seen once a write holds
// mark (the search logs each line in one write).
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	mark string
	seen func()
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(w.mark)) {
		w.seen()
	}
	return w.buf.Write(p)
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
