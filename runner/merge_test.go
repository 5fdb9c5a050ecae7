package runner

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/runner/results"
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
	single, _, err := Run(context.Background(), scenarioFor(t, srv.URL, yaml), WithResultsRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	var shards []*results.Run
	for i := 1; i <= 2; i++ {
		sc := scenarioFor(t, srv.URL, yaml)
		if err := sc.Apply(scenarios.Overrides{Shard: scenarios.Shard{Index: i, Count: 2}}); err != nil {
			t.Fatal(err)
		}
		run, dir, err := Run(context.Background(), sc, WithResultsRoot(root))
		if err != nil {
			t.Fatal(err)
		}
		dirs, shards = append(dirs, dir), append(shards, run)
	}
	out := filepath.Join(root, "merged")
	merged, err := Merge(dirs, out)
	if err != nil {
		t.Fatal(err)
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
	back, err := results.ReadRun(out)
	if err != nil || back.Overall.Requests != merged.Overall.Requests {
		t.Errorf("merged run.json: %v", err)
	}
	// The merged latency log reads back to the same count.
	tl, err := results.ReadTimeline(out)
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
	dbTime := func(tl *results.Timeline) (ms, count float64) {
		for _, p := range tl.Points {
			c := p.Server[ServerTimingCountPrefix+"db"]
			ms, count = ms+c*p.Server[ServerTimingPrefix+"db"], count+c
		}
		return ms, count
	}
	var wantMs, wantCount float64
	for _, d := range dirs {
		stl, err := results.ReadTimeline(d)
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
		stl, err := results.ReadTimeline(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range stl.Points {
			if !p.Warmup {
				c := p.Server[ServerTimingCountPrefix+"db"]
				measuredMs, measured = measuredMs+c*p.Server[ServerTimingPrefix+"db"], measured+c
			}
		}
	}
	db := merged.Server.ServerTiming["db"]
	if measured == 0 || float64(db.Count) != measured || math.Abs(db.MeanMS*measured-measuredMs) > 1e-6 {
		t.Errorf("merged run.json server_timing db = %+v, want %v responses, %v ms in all", db, measured, measuredMs)
	}
	counts := hlogCounts(t, filepath.Join(out, results.HlogFile))
	if counts[""] != merged.Overall.Requests || counts["a"] != merged.Endpoints["a"].Requests {
		t.Errorf("merged latency.hlog holds %v, run.json %d", counts, merged.Overall.Requests)
	}
	if _, err := Merge(dirs, out); err == nil {
		t.Error("merging into a non-empty directory was accepted")
	}
}

// hlogCounts reads an interval log and sums the counts per tag.
func hlogCounts(t *testing.T, path string) map[string]int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := hdr.NewHistogramLogReader(f)
	counts := map[string]int64{}
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			return counts
		}
		counts[h.Tag()] += h.TotalCount()
	}
}
