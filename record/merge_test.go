package record

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

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// TestMerge merges two shards and checks that the merged run is exactly
// their sum: counts, rates and the plan's levels add, every latency is that
// of the shards' histograms added, the merged latency log adds them second
// by second, the timeline point by point (the Server-Timing split weighted
// by counts, the target's series from one chain of the shards' scrapes). Merge
// writes the logs only; run.json and timeline.json are the caller's.
func TestMerge(t *testing.T) {
	t.Parallel()
	dirs, shards := fakeShards(t, 2)
	one, two := shards[0], shards[1]
	out := filepath.Join(t.TempDir(), "merged")
	run, tl, err := Merge(context.Background(), dirs, out)
	if err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, out); !slices.Equal(names, []string{HlogFile, ServiceHlogFile}) {
		t.Errorf("Merge wrote %q into %s; want the two logs only (run.json and timeline.json are the caller's)", names, out)
	}

	if m := run.Merged; m == nil || m.Shards != 2 || m.Of != 2 || m.Partial || len(m.Missing) != 0 || len(m.Starts) != 2 ||
		m.Starts[0].Index != 1 || m.Starts[1].Run != two.run.ID || math.Abs(m.StartSpreadS-0.01) > 1e-9 || m.Gates != nil {
		t.Errorf("merged: %+v", run.Merged)
	}
	if run.ID != "merged" || run.Status != StatusCompleted || !run.Started.Equal(one.started) || !run.Ended.Equal(two.run.Ended) || run.Host != "h" || len(run.Warnings) != 0 {
		t.Errorf("merged run %s status %s, %v to %v, host %q, warnings %q", run.ID, run.Status, run.Started, run.Ended, run.Host, run.Warnings)
	}
	if st := run.Plan.Stages; len(st) != 2 || st[0].From != 0 || st[0].To != 30 || st[1].From != 30 || st[1].StartS != 1 || st[1].DurationS != fakeSecs {
		t.Errorf("merged stages %+v, want the levels added (10 + 20) and the schedule kept", st)
	}

	// Counts and rates add; latencies are the added histograms'.
	for _, ep := range []string{"", "a", "b"} {
		got := run.Overall
		if ep != "" {
			got = run.Endpoints[ep]
		}
		a, b := one.stats(ep), two.stats(ep)
		if got.Requests != a.Requests+b.Requests || got.Successes != a.Successes+b.Successes || got.BytesIn != a.BytesIn+b.BytesIn ||
			got.StatusCodes["200"] != a.StatusCodes["200"]+b.StatusCodes["200"] || got.StatusCodes["503"] != a.StatusCodes["503"]+b.StatusCodes["503"] ||
			got.Errors["status"] != a.Errors["status"]+b.Errors["status"] || got.Rate.Target != a.Rate.Target+b.Rate.Target {
			t.Errorf("series %q: merged %+v from %+v and %+v", ep, got, a, b)
		}
		if want := float64(got.Requests-got.Successes) / float64(got.Requests); got.ErrorRate != want {
			t.Errorf("series %q: error rate %v, want %v", ep, got.ErrorRate, want)
		}
		for _, p := range Populations {
			tag := Tag(ep, p)
			lat, _ := got.LatencyOf(p)
			svc, _ := got.ServiceTimeOf(p)
			if _, any := one.latency[tag]; !any {
				continue
			}
			if want := latencySummary(both(one, two, tag, same)); lat != want {
				t.Errorf("series %q, %s: merged latency %+v, the shards' histograms give %+v", ep, p.Describe(), lat, want)
			}
			if want := latencySummary(both(one, two, tag, serviceOf)); svc != want {
				t.Errorf("series %q, %s: merged service time %+v, the shards' histograms give %+v", ep, p.Describe(), svc, want)
			}
		}
	}
	if g := run.Generator; g == nil || g.Planned != 300 || g.Late != 3 || g.SendLag.P50 != 20 || g.SendLag.P99 != 200 {
		t.Errorf("merged generator %+v: want the counts added and the worse lag at each percentile", g)
	}
	// Both shards scraped the one target all along: the chain keeps shard
	// 1's scrapes (the first), whose measured window counted 2 × 10 hits,
	// not the sum of both shards' 40. Scrapes and their errors add.
	if s := run.Server; s.Scrapes != 8 || s.ScrapeErrors != 3 || s.Series["hits"] != 20 || s.Series[HarnessRSS] != 1003 || len(s.SeriesNotes) != 0 {
		t.Errorf("merged server %+v", s)
	}

	// The latency log adds second by second.
	counts := map[string][]int64{}
	f, err := OpenHlog(filepath.Join(out, HlogFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var starts []float64
	err = ReadHlog(f, HlogFile, func(iv HlogInterval) error {
		if iv.Tag == "" {
			starts = append(starts, iv.Start)
		}
		counts[iv.Tag] = append(counts[iv.Tag], iv.Hist.TotalCount())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(starts, []float64{0, 1, 2}) {
		t.Errorf("merged log's seconds start at %v, want 0, 1, 2", starts)
	}
	for _, tag := range one.tags() {
		var want []int64
		for s := range fakeSecs {
			want = append(want, one.n(tag, s)+two.n(tag, s))
		}
		if !slices.Equal(counts[tag], want) {
			t.Errorf("merged latency.hlog, tag %q: %v a second, want the shards' sums %v", tag, counts[tag], want)
		}
	}

	// The timeline adds point by point.
	if len(tl.Points) != 1+fakeSecs || tl.IntervalS != 1 || tl.Schema != Schema {
		t.Fatalf("merged timeline: %d points, interval %v", len(tl.Points), tl.IntervalS)
	}
	var dbMs, dbCount float64
	for i, p := range tl.Points {
		a, b := one.tl.Points[i], two.tl.Points[i]
		if p.T != a.T || p.Warmup != a.Warmup || p.Requests != a.Requests+b.Requests || p.Errors != a.Errors+b.Errors ||
			p.StatusCodes["200"] != a.StatusCodes["200"]+b.StatusCodes["200"] || p.InFlight != a.InFlight+b.InFlight {
			t.Errorf("point %d: %+v from %+v and %+v", i, p, a, b)
		}
		if p.Warmup {
			continue
		}
		if p.Server[ServerRSSBytes] != a.Server[ServerRSSBytes] || p.Server["hits"] != a.Server["hits"] || p.Server["hits"] != 10 {
			t.Errorf("point %d: scraped %v, want shard 1's %v", i, p.Server, a.Server)
		}
		ca, cb := a.Server[ServerTimingCountPrefix+"db"], b.Server[ServerTimingCountPrefix+"db"]
		want := (a.Server[ServerTimingPrefix+"db"]*ca + b.Server[ServerTimingPrefix+"db"]*cb) / (ca + cb)
		if c := p.Server[ServerTimingCountPrefix+"db"]; c != ca+cb || math.Abs(p.Server[ServerTimingPrefix+"db"]-want) > 1e-9 {
			t.Errorf("point %d: Server-Timing db %v ms over %v responses, want %v over %v", i, p.Server[ServerTimingPrefix+"db"], c, want, ca+cb)
		}
		dbMs, dbCount = dbMs+p.Server[ServerTimingPrefix+"db"]*p.Server[ServerTimingCountPrefix+"db"], dbCount+p.Server[ServerTimingCountPrefix+"db"]
	}
	if db := run.Server.ServerTiming["db"]; float64(db.Count) != dbCount || math.Abs(db.MeanMS-dbMs/dbCount) > 1e-9 {
		t.Errorf("run.json server_timing db = %+v, want %v responses at %v ms", db, dbCount, dbMs/dbCount)
	}

	// Written as the caller writes them, run.json and the logs agree.
	if err := WriteJSON(filepath.Join(out, TimelineFile), tl); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(filepath.Join(out, RunFile), run); err != nil {
		t.Fatal(err)
	}
	if err := CheckLogs(out); err != nil {
		t.Error(err)
	}
	if _, _, err := Merge(context.Background(), dirs, out); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("merging into a directory that is not empty: %v", err)
	}
}

// both is the histogram of tag over both shards' measured windows.
func both(a, b *fakeShard, tag string, of func(int64) int64) *hdr.Histogram {
	h := a.total(tag, of)
	h.Merge(b.total(tag, of))
	return h
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// variant copies a run directory and edits its run.json.
func variant(t *testing.T, dir string, edit func(*Run)) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(dir))
	if err := os.CopyFS(out, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	r, err := ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	edit(r)
	if err := WriteJSON(filepath.Join(out, RunFile), r); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMergeRefusesCorruptLogs: merge reads the shards' logs with the one
// strict reader, so a corrupt line is an error naming the file and line,
// not an interval silently left out of the merged figures.
func TestMergeRefusesCorruptLogs(t *testing.T) {
	t.Parallel()
	dirs, _ := fakeShards(t, 2)
	for _, name := range []string{HlogFile, ServiceHlogFile} {
		bad := variant(t, dirs[1], func(*Run) {})
		f, err := os.OpenFile(filepath.Join(bad, name), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, "Tag=a,1.000,1.000,0.001,HISTFAAAAnot-a-histogram")
		f.Close()
		_, _, err = Merge(context.Background(), []string{dirs[0], bad}, filepath.Join(t.TempDir(), "merged"))
		if err == nil || !strings.Contains(err.Error(), name+":") || !strings.Contains(err.Error(), "corrupt") {
			t.Errorf("%s with a corrupt line: %v, want an error naming the file and line", name, err)
		}
	}
}

// TestMergeRefuses: shards that do not make one whole plan are refused with
// a message naming the problem; --partial merges what there is and marks it.
func TestMergeRefuses(t *testing.T) {
	t.Parallel()
	dirs, _ := fakeShards(t, 2)
	one, two := dirs[0], dirs[1]
	cases := []struct {
		name string
		dirs []string
		want string
	}{
		// Another plan (another rate, target or scenario) has another hash.
		{"different plans", []string{one, variant(t, two, func(r *Run) { r.PlanHash = "sha256:other" })}, "different plans"},
		// The same shard twice.
		{"duplicated index", []string{one, variant(t, one, func(*Run) {})}, "both shard 1 of 2"},
		// A shard count that disagrees.
		{"other count", []string{one, variant(t, two, func(r *Run) { r.ShardCount = 3 })}, "shard counts differ"},
		// Shard 2 was never given.
		{"missing index", []string{one}, "shard 2 of 2 missing"},
		// A run that was not a shard.
		{"not a shard", []string{one, variant(t, two, func(r *Run) { r.ShardIndex, r.ShardCount = 0, 0 })}, "not a shard run"},
		// Shards from before plan hashes.
		{"no plan hash", []string{one, variant(t, two, func(r *Run) { r.PlanHash = "" })}, "no plan_hash"},
		// A shard that was stopped before its plan ended.
		{"aborted shard", []string{one, variant(t, two, func(r *Run) { r.Status = StatusAborted })}, "shard 2 ("},
		// A directory with no run.json.
		{"no run.json", []string{one, t.TempDir()}, "run.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m")
			_, _, err := Merge(context.Background(), c.dirs, out)
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
		{"missing", []string{one}, 1, StatusCompleted, []int{2}},
		{"aborted", []string{one, variant(t, two, func(r *Run) { r.Status = StatusAborted })}, 2, StatusAborted, nil},
		{"running", []string{one, variant(t, two, func(r *Run) { r.Status = "running" })}, 1, StatusCompleted, []int{2}},
		{"unreadable", []string{t.TempDir(), one}, 1, StatusCompleted, []int{2}},
	}
	for _, c := range partials {
		t.Run("partial "+c.name, func(t *testing.T) {
			m, _, err := Merge(context.Background(), c.dirs, filepath.Join(t.TempDir(), "m"), Partial())
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
// merge's clock: the test's clocks move only when Merge waits on them, so a
// wait on the wall clock fails here.
func TestMergeWaitsForShards(t *testing.T) {
	t.Parallel()
	dirs, _ := fakeShards(t, 2)
	parent := t.TempDir()
	put := func(t *testing.T, src, name string, edit func(*Run)) {
		t.Helper()
		v := variant(t, src, edit)
		if err := os.Rename(v, filepath.Join(parent, name)); err != nil {
			t.Fatal(err)
		}
	}
	put(t, dirs[0], "shard-0", func(*Run) {})
	put(t, dirs[1], "shard-1", func(r *Run) { r.Status = "running" })

	// Shard 2 stays "running": the wait runs out, then the refusal. The
	// clock jumps to the end of each poll Merge waits for: it looks every
	// 80 ms, the last pause cut to the 60 ms left of 300 ms.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jc := &jumpClock{at: fakeT0, giveUp: cancel}
	_, _, err := Merge(ctx, []string{parent}, filepath.Join(t.TempDir(), "m"), WaitFor(300*time.Millisecond, 80*time.Millisecond), withClock(jc.clock()))
	if err == nil || !strings.Contains(err.Error(), `status "running"`) {
		t.Fatalf("merge of a running shard: %v", err)
	}
	ms := time.Millisecond
	if want := []time.Duration{80 * ms, 80 * ms, 80 * ms, 60 * ms}; !slices.Equal(jc.asked, want) {
		t.Errorf("the merge paused %d times on its clock (%v…), want %v", len(jc.asked), jc.asked[:min(len(jc.asked), 6)], want)
	}

	// Shard 2 finishes while the merge waits: the merge sees it at its
	// next look.
	hc := newHandClock(fakeT0)
	type result struct {
		run *Run
		err error
	}
	done := make(chan result, 1)
	go func() {
		run, _, err := Merge(context.Background(), []string{parent}, filepath.Join(t.TempDir(), "m"), WaitFor(time.Minute, 20*time.Millisecond), withClock(hc.clock()))
		done <- result{run, err}
	}()
	var w handWait
	select {
	case w = <-hc.waits: // it found shard 2 running
	case r := <-done:
		t.Fatalf("the merge ended without waiting for shard 2: %v", r.err)
	}
	if w.d != 20*time.Millisecond {
		t.Errorf("the merge waits %v, want its poll of 20ms", w.d)
	}
	tmp := variant(t, dirs[1], func(*Run) {})
	if err := os.Rename(filepath.Join(tmp, RunFile), filepath.Join(parent, "shard-1", RunFile)); err != nil {
		t.Fatal(err)
	}
	w.end()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.run.Merged.Shards != 2 || r.run.Merged.Partial {
		t.Errorf("merged %+v", r.run.Merged)
	}

	// Shards of another plan are refused at once, not waited for.
	put(t, dirs[1], "shard-x", func(r *Run) { r.PlanHash = "sha256:other" })
	jc = &jumpClock{at: fakeT0}
	if _, _, err := Merge(context.Background(), []string{parent}, filepath.Join(t.TempDir(), "m"), WaitFor(time.Minute, 20*time.Millisecond), withClock(jc.clock())); err == nil || !strings.Contains(err.Error(), "different plans") {
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
	dirs, _ := fakeShards(t, 2)
	judged := func(dir string, j *Judgement) string {
		return variant(t, dir, func(r *Run) { r.Judged = j })
	}
	override := func(gates ...string) *Judgement {
		return &Judgement{Gates: gates, Source: GatesOverride, Verdict: VerdictFail}
	}
	scenario := &Judgement{Gates: []string{"p95 < 1s"}, Source: GatesFromScenario, Verdict: VerdictPass}

	for _, c := range []struct {
		name string
		a, b *Judgement
		want []string
	}{
		{"both override", override("p95 < 1us"), override("p95 < 1us"), []string{"p95 < 1us"}},
		{"both scenario", scenario, scenario, nil},
		{"scenario and unjudged", scenario, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, _, err := Merge(context.Background(), []string{judged(dirs[0], c.a), judged(dirs[1], c.b)}, filepath.Join(t.TempDir(), "m"))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Merged.Gates, c.want) {
				t.Errorf("merged.gates = %q, want %q", m.Merged.Gates, c.want)
			}
			if m.Judged != nil {
				t.Errorf("the merged run is judged by the caller, not by Merge: %+v", m.Judged)
			}
		})
	}

	for _, c := range []struct {
		name string
		a, b *Judgement
	}{
		{"override and scenario", override("p95 < 1us"), scenario},
		{"override and unjudged", override("p95 < 1us"), nil},
		{"other overrides", override("p95 < 1us"), override("p95 < 2us")},
		{"other order", override("p95 < 1us", "error_rate < 1%"), override("error_rate < 1%", "p95 < 1us")},
	} {
		t.Run("refused "+c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m")
			_, _, err := Merge(context.Background(), []string{judged(dirs[0], c.a), judged(dirs[1], c.b)}, out)
			if err == nil || !strings.Contains(err.Error(), "judged by different gates") {
				t.Fatalf("Merge: %v, want a refusal saying the shards were judged by different gates", err)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a refused merge created %s", out)
			}
		})
	}
}
