package runner

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// TestMergeShards runs a scenario as one run and as two shards, merges the
// shards, and checks that the merged run holds the same load as the single
// run and exactly the sum of the shards.
func TestMergeShards(t *testing.T) {
	srv := timingServer(t) // Server-Timing db = 2 ms on a, 4 ms on b
	yaml := `load:
  warmup: 500ms
  stages: [{duration: 2s, rate: 40/s}]
requests:
  - {name: a, path: /a/2, weight: 1}
  - {name: b, path: /a/4, weight: 1}
gates: [p95 < 3s]
`
	root := t.TempDir()
	single, dir, err := runWritten(context.Background(), scenarioFor(t, srv.URL, yaml), WithResultsRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	var dirs []string
	var shards []*record.Run
	for i := 1; i <= 2; i++ {
		sc := scenarioFor(t, srv.URL, yaml)
		if err := sc.Apply(scenarios.Overrides{Shard: scenarios.Shard{Index: i, Count: 2}}); err != nil {
			t.Fatal(err)
		}
		run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(root))
		if err != nil {
			t.Fatal(err)
		}
		checkLogs(t, dir)
		dirs, shards = append(dirs, dir), append(shards, run)
	}
	out := filepath.Join(root, "merged")
	merged, err := Merge(context.Background(), dirs, out)
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, out)
	if m := merged.Merged; m == nil || m.Shards != 2 || m.Of != 2 || m.Partial || len(m.Starts) != 2 || m.Starts[0].Index != 1 || m.StartSpreadS < 0 {
		t.Errorf("merged: %+v", m)
	}
	if merged.Overall.Requests != single.Overall.Requests {
		t.Errorf("merged %d requests, single run %d", merged.Overall.Requests, single.Overall.Requests)
	}
	if merged.Overall.Requests != shards[0].Overall.Requests+shards[1].Overall.Requests {
		t.Errorf("merged %d requests, shards %d + %d", merged.Overall.Requests, shards[0].Overall.Requests, shards[1].Overall.Requests)
	}
	if merged.Plan.Stages[0].To != 40 || math.Abs(merged.Overall.Rate.Target-single.Overall.Rate.Target) > 1e-9 {
		t.Errorf("merged plan level %v, target rate %v; single %v", merged.Plan.Stages[0].To, merged.Overall.Rate.Target, single.Overall.Rate.Target)
	}
	if merged.Overall.StatusCodes["200"] != single.Overall.StatusCodes["200"] {
		t.Errorf("status codes %v vs %v", merged.Overall.StatusCodes, single.Overall.StatusCodes)
	}
	// Histograms add exactly: the extremes are those of the shards.
	lat := merged.Overall.LatencyUS
	wantMax := max(shards[0].Overall.LatencyUS.Max, shards[1].Overall.LatencyUS.Max)
	wantMin := min(shards[0].Overall.LatencyUS.Min, shards[1].Overall.LatencyUS.Min)
	if lat.Max != wantMax || lat.Min != wantMin {
		t.Errorf("merged latency min %v max %v, shards give %v and %v", lat.Min, lat.Max, wantMin, wantMax)
	}
	svc := merged.Overall.ServiceTimeUS
	if svc.Max != max(shards[0].Overall.ServiceTimeUS.Max, shards[1].Overall.ServiceTimeUS.Max) {
		t.Errorf("merged service max %v", svc.Max)
	}
	for _, name := range []string{"a", "b"} {
		if got, want := merged.Endpoints[name].Requests, shards[0].Endpoints[name].Requests+shards[1].Endpoints[name].Requests; got != want {
			t.Errorf("endpoint %s: %d, want %d", name, got, want)
		}
	}
	back, err := record.ReadRun(out)
	if err != nil || back.Overall.Requests != merged.Overall.Requests {
		t.Errorf("merged run.json: %v", err)
	}
	// The merged latency log reads back to the same count.
	tl, err := record.ReadTimeline(out)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, p := range tl.Points {
		n += p.Requests
	}
	if n != 80 {
		t.Errorf("merged timeline holds %d requests, want 80", n)
	}
	// Server-Timing: the merged means weighted by their counts give the
	// shards' total db time.
	dbTime := func(tl *record.Timeline) (ms, count float64) {
		for _, p := range tl.Points {
			c := p.Server[record.ServerTimingCountPrefix+"db"]
			ms, count = ms+c*p.Server[record.ServerTimingPrefix+"db"], count+c
		}
		return ms, count
	}
	var wantMs, wantCount float64
	for _, d := range dirs {
		stl, err := record.ReadTimeline(d)
		if err != nil {
			t.Fatal(err)
		}
		ms, c := dbTime(stl)
		wantMs, wantCount = wantMs+ms, wantCount+c
	}
	if ms, c := dbTime(tl); c != 80 || c != wantCount || math.Abs(ms-wantMs) > 1e-9 {
		t.Errorf("merged Server-Timing: %v ms over %v responses, shards %v ms over %v (want 80)", ms, c, wantMs, wantCount)
	}
	// run.json's split covers the measured window: the shards' non-warm-up
	// intervals.
	var measuredMs, measured float64
	for _, d := range dirs {
		stl, err := record.ReadTimeline(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range stl.Points {
			if !p.Warmup {
				c := p.Server[record.ServerTimingCountPrefix+"db"]
				measuredMs, measured = measuredMs+c*p.Server[record.ServerTimingPrefix+"db"], measured+c
			}
		}
	}
	db := merged.Server.ServerTiming["db"]
	if measured == 0 || float64(db.Count) != measured || math.Abs(db.MeanMS*measured-measuredMs) > 1e-6 {
		t.Errorf("merged run.json server_timing db = %+v, want %v responses, %v ms in all", db, measured, measuredMs)
	}
	counts := hlogCounts(t, filepath.Join(out, record.HlogFile))
	if counts[""] != merged.Overall.Requests || counts["a"] != merged.Endpoints["a"].Requests {
		t.Errorf("merged latency.hlog holds %v, run.json %d", counts, merged.Overall.Requests)
	}
	if _, err := Merge(context.Background(), dirs, out); err == nil {
		t.Error("merging into a non-empty directory was accepted")
	}
}

// hlogCounts reads an interval log and sums the counts per tag.
func hlogCounts(t *testing.T, path string) map[string]int64 {
	t.Helper()
	counts, err := record.HlogCounts(path)
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

// TestMergeRefusesCorruptLogs: merge reads the shards' logs with the one
// strict reader, so a corrupt line is an error naming the file and line,
// not an interval silently left out of the merged figures.
func TestMergeRefusesCorruptLogs(t *testing.T) {
	t.Parallel()
	dirs := shardDirs(t)
	for _, name := range []string{record.HlogFile, record.ServiceHlogFile} {
		bad := variant(t, dirs[1], func(*record.Run) {})
		f, err := os.OpenFile(filepath.Join(bad, name), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, "Tag=a,1.000,1.000,0.001,HISTFAAAAnot-a-histogram")
		f.Close()
		_, err = Merge(context.Background(), []string{dirs[0], bad}, filepath.Join(t.TempDir(), "merged"))
		if err == nil || !strings.Contains(err.Error(), name+":") || !strings.Contains(err.Error(), "corrupt") {
			t.Errorf("%s with a corrupt line: %v, want an error naming the file and line", name, err)
		}
	}
}

// shardDirs runs the two shards of a short plan and returns their directories.
func shardDirs(t *testing.T) []string {
	t.Helper()
	srv := okServer(t, nil)
	yaml := "load:\n  stages: [{duration: 1s, rate: 20/s}]\nrequests:\n  - {name: a, path: /a}\ngates: [error_rate < 1%]\n"
	root := t.TempDir()
	var dirs []string
	for i := 1; i <= 2; i++ {
		sc := scenarioFor(t, srv.URL, yaml)
		if err := sc.Apply(scenarios.Overrides{Shard: scenarios.Shard{Index: i, Count: 2}}); err != nil {
			t.Fatal(err)
		}
		_, dir, err := runWritten(context.Background(), sc, WithResultsRoot(root))
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

// variant copies a run directory and edits its run.json.
func variant(t *testing.T, dir string, edit func(*record.Run)) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(dir))
	if err := os.CopyFS(out, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	r, err := record.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	edit(r)
	if err := record.WriteJSON(filepath.Join(out, record.RunFile), r); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMergeRefuses: shards that do not make one whole plan are refused with
// a message naming the problem; --partial merges what there is and marks it.
func TestMergeRefuses(t *testing.T) {
	t.Parallel()
	dirs := shardDirs(t)
	one, two := dirs[0], dirs[1]
	if r, err := record.ReadRun(one); err != nil || r.ShardIndex != 1 || r.ShardCount != 2 || r.PlanHash == "" {
		t.Fatalf("shard run.json: %+v, %v", r, err)
	}
	cases := []struct {
		name string
		dirs []string
		want string
	}{
		// Another plan (another rate, target or scenario) has another hash.
		{"different plans", []string{one, variant(t, two, func(r *record.Run) { r.PlanHash = "sha256:other" })}, "different plans"},
		// The same shard twice.
		{"duplicated index", []string{one, variant(t, one, func(*record.Run) {})}, "both shard 1 of 2"},
		// A shard count that disagrees.
		{"other count", []string{one, variant(t, two, func(r *record.Run) { r.ShardCount = 3 })}, "shard counts differ"},
		// Shard 2 was never given.
		{"missing index", []string{one}, "shard 2 of 2 missing"},
		// A run that was not a shard.
		{"not a shard", []string{one, variant(t, two, func(r *record.Run) { r.ShardIndex, r.ShardCount = 0, 0 })}, "not a shard run"},
		// Shards from before plan hashes.
		{"no plan hash", []string{one, variant(t, two, func(r *record.Run) { r.PlanHash = "" })}, "no plan_hash"},
		// A shard that was stopped before its plan ended.
		{"aborted shard", []string{one, variant(t, two, func(r *record.Run) { r.Status = record.StatusAborted })}, "shard 2 ("},
		// A directory with no run.json.
		{"no run.json", []string{one, t.TempDir()}, "run.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m")
			_, err := Merge(context.Background(), c.dirs, out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Merge: %v, want an error with %q", err, c.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a refused merge created %s", out)
			}
		})
	}

	// --partial: shard 2 missing, then shard 2 aborted, then shard 2 still
	// running (a crashed pod) and left out.
	partials := []struct {
		name    string
		dirs    []string
		shards  int
		status  string
		missing []int
	}{
		{"missing", []string{one}, 1, record.StatusCompleted, []int{2}},
		{"aborted", []string{one, variant(t, two, func(r *record.Run) { r.Status = record.StatusAborted })}, 2, record.StatusAborted, nil},
		{"running", []string{one, variant(t, two, func(r *record.Run) { r.Status = "running" })}, 1, record.StatusCompleted, []int{2}},
		{"unreadable", []string{t.TempDir(), one}, 1, record.StatusCompleted, []int{2}},
	}
	for _, c := range partials {
		t.Run("partial "+c.name, func(t *testing.T) {
			m, err := Merge(context.Background(), c.dirs, filepath.Join(t.TempDir(), "m"), Partial())
			if err != nil {
				t.Fatal(err)
			}
			g := m.Merged
			if !g.Partial || g.Shards != c.shards || g.Of != 2 || m.Status != c.status || !slices.Equal(g.Missing, c.missing) {
				t.Errorf("merged %+v status %s, want %d shards, status %s, missing %v", g, m.Status, c.shards, c.status, c.missing)
			}
			if len(m.Warnings) == 0 || !strings.Contains(m.Warnings[0], "partial merge") {
				t.Errorf("warnings %q", m.Warnings)
			}
		})
	}
}

// TestMergeWaitsForShards: a merge given the directory the shards write into
// waits for shards that are not there yet or still running, then merges;
// when the wait runs out it refuses as without waiting. The wait is on the
// runner's clock: the test's clocks move only when Merge waits on them (or
// the test moves them), so a wait on the wall clock fails here.
func TestMergeWaitsForShards(t *testing.T) {
	t.Parallel()
	dirs := shardDirs(t)
	parent := t.TempDir()
	put := func(t *testing.T, src, name string, edit func(*record.Run)) {
		t.Helper()
		v := variant(t, src, edit)
		if err := os.Rename(v, filepath.Join(parent, name)); err != nil {
			t.Fatal(err)
		}
	}
	put(t, dirs[0], "shard-0", func(*record.Run) {})
	put(t, dirs[1], "shard-1", func(r *record.Run) { r.Status = "running" })

	// Shard 2 stays "running": the wait runs out, then the refusal. The
	// clock jumps to the end of each poll Merge waits for: it looks every
	// 80 ms, the last pause cut to the 60 ms left of 300 ms.
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jc := &jumpClock{at: t0, giveUp: cancel}
	_, err := Merge(ctx, []string{parent}, filepath.Join(t.TempDir(), "m"), WaitFor(300*time.Millisecond, 80*time.Millisecond), mergeClock(jc.clock()))
	if err == nil || !strings.Contains(err.Error(), `status "running"`) {
		t.Fatalf("merge of a running shard: %v", err)
	}
	ms := time.Millisecond
	if want := []time.Duration{80 * ms, 80 * ms, 80 * ms, 60 * ms}; !slices.Equal(jc.asked, want) {
		t.Errorf("the merge paused %d times on its clock (%v…), want %v", len(jc.asked), jc.asked[:min(len(jc.asked), 6)], want)
	}

	// Shard 2 finishes while the merge waits: the merge sees it at its
	// next look.
	fc := newFakeClock(t0)
	done := make(chan error, 1)
	var merged *record.Run
	go func() {
		var err error
		merged, err = Merge(context.Background(), []string{parent}, filepath.Join(t.TempDir(), "m"), WaitFor(time.Minute, 20*time.Millisecond), mergeClock(fc.clock()))
		done <- err
	}()
	fc.armed(t, t0.Add(20*time.Millisecond)) // it found shard 2 running
	tmp := variant(t, dirs[1], func(*record.Run) {})
	if err := os.Rename(filepath.Join(tmp, record.RunFile), filepath.Join(parent, "shard-1", record.RunFile)); err != nil {
		t.Fatal(err)
	}
	fc.advance(20 * time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if merged.Merged.Shards != 2 || merged.Merged.Partial {
		t.Errorf("merged %+v", merged.Merged)
	}

	// Shards of another plan are refused at once, not waited for.
	put(t, dirs[1], "shard-x", func(r *record.Run) { r.PlanHash = "sha256:other" })
	jc = &jumpClock{at: t0}
	if _, err := Merge(context.Background(), []string{parent}, filepath.Join(t.TempDir(), "m"), WaitFor(time.Minute, 20*time.Millisecond), mergeClock(jc.clock())); err == nil || !strings.Contains(err.Error(), "different plans") {
		t.Errorf("other plan: %v", err)
	}
	if len(jc.asked) != 0 {
		t.Errorf("waited %v for shards that can never merge", jc.asked)
	}
}

// TestMergeKeepsTheShardsGates: shards judged by gates given in place of the
// scenario's (run --shard i/N --gate X) pass those gates on to the merged run
// (merged.gates), which is judged by them, not by the scenario's; shards
// judged by different gates are refused, since the merged run could be
// judged by neither.
func TestMergeKeepsTheShardsGates(t *testing.T) {
	t.Parallel()
	dirs := shardDirs(t)
	judged := func(dir string, j *record.Judgement) string {
		return variant(t, dir, func(r *record.Run) { r.Judged = j })
	}
	override := func(gates ...string) *record.Judgement {
		return &record.Judgement{Gates: gates, Source: record.GatesOverride, Verdict: record.VerdictFail}
	}
	scenario := &record.Judgement{Gates: []string{"error_rate < 1%"}, Source: record.GatesFromScenario, Verdict: record.VerdictPass}

	for _, c := range []struct {
		name string
		a, b *record.Judgement
		want []string
	}{
		{"both override", override("p95 < 1us"), override("p95 < 1us"), []string{"p95 < 1us"}},
		{"both scenario", scenario, scenario, nil},
		{"scenario and unjudged", scenario, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Merge(context.Background(), []string{judged(dirs[0], c.a), judged(dirs[1], c.b)}, filepath.Join(t.TempDir(), "m"))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Merged.Gates, c.want) {
				t.Errorf("merged.gates = %q, want %q", m.Merged.Gates, c.want)
			}
			if m.Judged != nil {
				t.Errorf("the merged run is judged by the report, not by Merge: %+v", m.Judged)
			}
		})
	}

	for _, c := range []struct {
		name string
		a, b *record.Judgement
	}{
		{"override and scenario", override("p95 < 1us"), scenario},
		{"override and unjudged", override("p95 < 1us"), nil},
		{"other overrides", override("p95 < 1us"), override("p95 < 2us")},
		{"other order", override("p95 < 1us", "error_rate < 1%"), override("error_rate < 1%", "p95 < 1us")},
	} {
		t.Run("refused "+c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m")
			_, err := Merge(context.Background(), []string{judged(dirs[0], c.a), judged(dirs[1], c.b)}, out)
			if err == nil || !strings.Contains(err.Error(), "judged by different gates") {
				t.Fatalf("Merge: %v, want a refusal saying the shards were judged by different gates", err)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a refused merge created %s", out)
			}
		})
	}
}
