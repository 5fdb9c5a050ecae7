package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/record"
)

// cli starts this test binary as the loadgate binary (see TestMain) with
// args and extra environment.
func cli(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(append(os.Environ(), envCLI+"=1"), env...)
	return cmd
}

// exitOf runs a started or new command to its end: its exit code and output.
func exitOf(t *testing.T, cmd *exec.Cmd, out *strings.Builder) int {
	t.Helper()
	var err error
	if cmd.Process == nil {
		cmd.Stdout, cmd.Stderr = out, out
		err = cmd.Run()
	} else {
		err = cmd.Wait()
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return 0
}

const shardScenario = `name: sharded
target:
  base_url: %s
  health: none
load:
  stages:
    - {duration: 2s, rate: 60/s}
requests:
  - {name: fast, weight: 2, path: /fast}
  - {name: slow, weight: 1, path: /slow}
gates:
  - error_rate < 1%%
  - p95 < 5s
`

// slowFast answers /fast at once and /slow after 3 ms.
func slowFast(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(3 * time.Millisecond)
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestMergeShardProcesses runs two shards of one plan as separate processes
// at the same time, merges them with `loadgate merge`, and checks that the
// merged counts are the shards' sums and its percentiles those of the
// shards' latency logs added together; shards that do not form one plan
// are refused with exit 2.
func TestMergeShardProcesses(t *testing.T) {
	srv := slowFast(t)
	scen := writeScenario(t, fmt.Sprintf(shardScenario, srv.URL))
	dir := t.TempDir()
	shard := func(name string, extra ...string) (string, *exec.Cmd, *strings.Builder) {
		out := filepath.Join(dir, name)
		var log strings.Builder
		cmd := cli(t, nil, append([]string{"run", scen, "--out", out}, extra...)...)
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return out, cmd, &log
	}
	one, c1, l1 := shard("s1", "--shard", "1/2")
	two, c2, l2 := shard("s2", "--shard", "2/2")
	other, c3, l3 := shard("other", "--shard", "2/2", "--rate", "30") // another plan
	for _, c := range []struct {
		cmd *exec.Cmd
		log *strings.Builder
	}{{c1, l1}, {c2, l2}, {c3, l3}} {
		if code := exitOf(t, c.cmd, c.log); code != 0 {
			t.Fatalf("shard exit %d:\n%s", code, c.log)
		}
	}

	merged := filepath.Join(dir, "merged")
	var log strings.Builder
	if code := exitOf(t, cli(t, nil, "merge", one, two, "--out", merged), &log); code != 0 {
		t.Fatalf("merge exit %d:\n%s", code, &log)
	}
	if !strings.Contains(log.String(), "merged 2 of 2 shards") || !strings.Contains(log.String(), "PASS") {
		t.Errorf("merge output:\n%s", &log)
	}
	m, s1, s2 := readRun(t, merged), readRun(t, one), readRun(t, two)
	if m.Overall.Requests != s1.Overall.Requests+s2.Overall.Requests || m.Overall.Requests != 120 {
		t.Errorf("merged %d requests, shards %d + %d (plan: 120)", m.Overall.Requests, s1.Overall.Requests, s2.Overall.Requests)
	}
	for _, ep := range []string{"fast", "slow"} {
		if got, want := m.Endpoints[ep].Requests, s1.Endpoints[ep].Requests+s2.Endpoints[ep].Requests; got != want {
			t.Errorf("%s: merged %d requests, shards %d", ep, got, want)
		}
		if got, want := m.Endpoints[ep].StatusCodes["200"], s1.Endpoints[ep].StatusCodes["200"]+s2.Endpoints[ep].StatusCodes["200"]; got != want {
			t.Errorf("%s: merged %d 200s, shards %d", ep, got, want)
		}
	}
	// The percentiles are those of the two shards' logs added together.
	for tag, st := range map[string]record.Stats{"": m.Overall, "fast": m.Endpoints["fast"], "slow": m.Endpoints["slow"]} {
		h := logTotal(t, tag, filepath.Join(one, record.HlogFile), filepath.Join(two, record.HlogFile))
		want := []float64{float64(h.ValueAtQuantile(50)), float64(h.ValueAtQuantile(95)), float64(h.ValueAtQuantile(99)), float64(h.Max()), float64(h.TotalCount())}
		got := []float64{st.LatencyUS.P50, st.LatencyUS.P95, st.LatencyUS.P99, st.LatencyUS.Max, float64(st.Requests)}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("series %q: merged p50/p95/p99/max/count %v, the shards' logs give %v", tag, got, want)
		}
		if back := logTotal(t, tag, filepath.Join(merged, record.HlogFile)); !back.Equals(h) {
			t.Errorf("series %q: the merged latency.hlog differs from the shards' sum", tag)
		}
	}
	if m.Merged == nil || m.Merged.Shards != 2 || len(m.Gates) != 2 || m.Gates[0].Verdict != record.VerdictPass {
		t.Errorf("merged run: %+v, gates %+v", m.Merged, m.Gates)
	}
	for _, f := range []string{record.ReportFile, record.SummaryFile, record.JUnitFile} {
		data, err := os.ReadFile(filepath.Join(merged, f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "2 of 2 merged") {
			t.Errorf("%s does not say how many shards", f)
		}
	}

	// The merged run becomes the latest of a results root (a directory with
	// a latest link) it is written into, and of no other directory.
	if _, err := os.Lstat(filepath.Join(dir, record.LatestLink)); err == nil {
		t.Errorf("merge made a latest link in %s, which is not a results root", dir)
	}
	root := t.TempDir()
	if err := os.Symlink("older-run", filepath.Join(root, record.LatestLink)); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	if code := exitOf(t, cli(t, nil, "merge", one, two, "--out", filepath.Join(root, "merged")), &log); code != 0 {
		t.Fatalf("merge into a results root: exit %d:\n%s", code, &log)
	}
	if target, err := os.Readlink(filepath.Join(root, record.LatestLink)); err != nil || target != "merged" {
		t.Errorf("the results root's latest link points at %q (%v), want the merged run", target, err)
	}

	// Refusals: exit 2 with the reason.
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"another plan", []string{one, other}, "different plans"},
		{"missing shard", []string{one}, "shard 2 of 2 missing"},
		{"duplicated shard", []string{one, two, two}, "both shard 2 of 2"},
		{"no out", []string{one, two, "--out", ""}, "usage"},
	} {
		var log strings.Builder
		args := append([]string{"merge", "--out", filepath.Join(t.TempDir(), "m")}, c.args...)
		if code := exitOf(t, cli(t, nil, args...), &log); code != 2 || !strings.Contains(log.String(), c.want) {
			t.Errorf("%s: exit %d, want 2 and %q:\n%s", c.name, code, c.want, &log)
		}
	}
}

// TestMergeJudgesAsTheShardsWere: shards run with --gate in place of the
// scenario's gates (error_rate > 50%: a fail no lateness of the generator can
// make inconclusive) failed on them; their merge is judged by the same gates
// (exit 1, recorded as given in place of the scenario's), not passed by the
// scenario's. Shards given different gates are refused (exit 2).
func TestMergeJudgesAsTheShardsWere(t *testing.T) {
	srv := slowFast(t)
	scen := writeScenario(t, fmt.Sprintf(shardScenario, srv.URL))
	dir := t.TempDir()
	shard := func(name string, extra ...string) string {
		out := filepath.Join(dir, name)
		var log strings.Builder
		if code := exitOf(t, cli(t, nil, append([]string{"run", scen, "--out", out}, extra...)...), &log); code != 1 && code != 0 {
			t.Fatalf("shard %s exit %d:\n%s", name, code, &log)
		}
		return out
	}
	one := shard("s1", "--shard", "1/2", "--gate", "error_rate > 50%")
	two := shard("s2", "--shard", "2/2", "--gate", "error_rate > 50%")
	plain := shard("s2plain", "--shard", "2/2")

	merged := filepath.Join(dir, "merged")
	var log strings.Builder
	if code := exitOf(t, cli(t, nil, "merge", one, two, "--out", merged), &log); code != 1 {
		t.Fatalf("merge of shards that failed error_rate > 50%%: exit %d, want 1:\n%s", code, &log)
	}
	m := readRun(t, merged)
	if j := m.Judged; j == nil || j.Source != record.GatesOverride || fmt.Sprint(j.Gates) != "[error_rate > 50%]" || j.Verdict != record.VerdictFail {
		t.Errorf("merged run judged %+v, want error_rate > 50%% given in place of the scenario's, fail", m.Judged)
	}
	if !strings.Contains(log.String(), "gates given in place of the scenario's") {
		t.Errorf("merge output does not say which gates judged it:\n%s", &log)
	}
	log.Reset()
	if code := exitOf(t, cli(t, nil, "gate", merged), &log); code != 1 {
		t.Errorf("gate on the merged run: exit %d, want 1:\n%s", code, &log)
	}

	log.Reset()
	if code := exitOf(t, cli(t, nil, "merge", one, plain, "--out", filepath.Join(dir, "mixed")), &log); code != 2 || !strings.Contains(log.String(), "judged by different gates") {
		t.Errorf("merge of shards judged by different gates: exit %d, want 2 and the reason:\n%s", code, &log)
	}
}

func readRun(t *testing.T, dir string) *record.Run {
	t.Helper()
	r, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// logTotal adds up the intervals of one tag over interval logs.
func logTotal(t *testing.T, tag string, paths ...string) *hdr.Histogram {
	t.Helper()
	var total *hdr.Histogram
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		r := hdr.NewHistogramLogReader(f)
		for {
			h, err := r.NextIntervalHistogram()
			if err != nil {
				t.Fatal(err)
			}
			if h == nil {
				break
			}
			if h.Tag() != tag {
				continue
			}
			if total == nil {
				total = hdr.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
			}
			total.Merge(h)
		}
		f.Close()
	}
	if total == nil {
		t.Fatalf("no %q intervals in %v", tag, paths)
	}
	return total
}
