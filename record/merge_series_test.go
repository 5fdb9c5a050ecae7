package record

import (
	"context"
	"path/filepath"
	"testing"
)

// everyFive is a shard's scrapes every 5 s from first to last (offset by
// off seconds): the target's hits counter grew 10 a second, its queue
// gauge read the time; skip lists the scrapes that failed.
func everyFive(first, last, off float64, skip ...float64) []Scrape {
	var out []Scrape
	var prev *float64
	for t := first; t <= last; t += 5 {
		if containsFloat(skip, t) {
			continue
		}
		at := t + off
		s := Scrape{AtS: at, Gauges: map[string]float64{"queue": at}}
		if prev != nil {
			since := *prev
			s.SinceS, s.Increases = &since, map[string]float64{"hits_total": 10 * (at - since)}
		}
		out = append(out, s)
		prev = &at
	}
	return out
}

func containsFloat(xs []float64, x float64) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestChainScrapes: the chain covers what any shard's scrapes covered,
// each second once.
func TestChainScrapes(t *testing.T) {
	t.Parallel()
	total := func(chain []Scrape) (hits, covered float64) {
		for _, s := range chain {
			hits += s.Increases["hits_total"]
			covered += s.Span()
		}
		return hits, covered
	}
	for _, c := range []struct {
		name   string
		shards [][]Scrape
		hits   float64 // 10 a second, over the chain's seconds
		from   float64 // the chain's first scrape
	}{
		// Shard 1 scraped the first half and stopped; shard 2 failed to
		// scrape until 30 s: the chain is shard 1's, then shard 2's.
		{"halves", [][]Scrape{everyFive(0, 30, 0), everyFive(30, 60, 0.2)}, 600, 0},
		// Shard 1 missed its scrape at 10 s (its 15 s one spans 5 to 15):
		// the chain stays with it; shard 2's 10 s scrape would count 5 to 10
		// twice.
		{"a missed scrape", [][]Scrape{everyFive(0, 60, 0, 10), everyFive(0, 60, 0.3)}, 600, 0},
		// The same scrapes, the shards given in the other order.
		{"a missed scrape, shard 2 first", [][]Scrape{everyFive(0, 60, 0.3), everyFive(0, 60, 0, 10)}, 600, 0},
		// Shard 2 started late and scraped on after shard 1 stopped.
		{"overlap", [][]Scrape{everyFive(0, 40, 0), everyFive(20, 60, 0.1)}, 600, 0},
		// One shard only.
		{"one", [][]Scrape{everyFive(0, 60, 0)}, 600, 0},
	} {
		chain := chainScrapes(c.shards)
		hits, covered := total(chain)
		if hits != c.hits || covered*10 != hits || chain[0].AtS != c.from {
			t.Errorf("%s: the chain counted %v hits over %v s from %v, want %v from %v", c.name, hits, covered, chain[0].AtS, c.hits, c.from)
		}
		for i := 1; i < len(chain); i++ {
			if chain[i].AtS <= chain[i-1].AtS || *chain[i].SinceS < chain[i-1].AtS-1 {
				t.Errorf("%s: link %d (%v since %v) after %v: time goes back or counts again", c.name, i, chain[i].AtS, *chain[i].SinceS, chain[i-1].AtS)
			}
		}
	}
	if chainScrapes([][]Scrape{nil, nil}) != nil {
		t.Error("no scrapes make a chain")
	}
}

// TestMergeSeriesFromEveryShard merges two shards whose scrapes covered
// different parts of the window (shard 1 the first part, shard 2 the rest):
// the merged series count what both saw, once, over the window and per
// interval; the shard that scraped most alone would have lost the other's.
func TestMergeSeriesFromEveryShard(t *testing.T) {
	t.Parallel()
	dirs, shards := fakeShards(t, 2)
	// The fake shards' timelines have points 0 (warm-up) to 3; shard 1
	// scraped at 0, 1 and 2, shard 2 (whose scrapes failed before) at 2.05
	// and 3.05. The target counted 10 hits a second.
	cover := map[int][]float64{0: {0, 1, 2}, 1: {2.05, 3.05}}
	for i, sh := range shards {
		var scrapes []Scrape
		for j, at := range cover[i] {
			s := Scrape{AtS: at, Gauges: map[string]float64{"process_resident_memory_bytes": 1000 * (at + 1)}}
			if j > 0 {
				since := cover[i][j-1]
				s.SinceS, s.Increases = &since, map[string]float64{"hits_total": 10 * (at - since)}
			}
			scrapes = append(scrapes, s)
		}
		sh.tl.Scrapes = scrapes
		for k := range sh.tl.Points {
			sh.tl.Points[k].Server = nil
		}
		FillPoints(sh.tl.Points, scrapes, fakeSeries())
		if err := WriteJSON(filepath.Join(sh.dir, TimelineFile), sh.tl); err != nil {
			t.Fatal(err)
		}
	}
	run, tl, err := Merge(context.Background(), dirs, filepath.Join(t.TempDir(), "merged"))
	if err != nil {
		t.Fatal(err)
	}
	// The window starts at the 1 s scrape: 1 to 2 from shard 1, 2.05 to
	// 3.05 from shard 2 (the 0.05 s between them no scrape spanned).
	if got := run.Server.Series["hits"]; got != 20 {
		t.Errorf("merged hits %v, want 20 (10 from each shard's part); notes %v", got, run.Server.SeriesNotes)
	}
	if got := run.Server.Series[HarnessRSS]; got != 4050 {
		t.Errorf("merged RSS max %v, want shard 2's last reading 4050", got)
	}
	for i, want := range []float64{0, 10, 10, 10} {
		if i == 0 {
			continue // the first scrape: no increase
		}
		if got := tl.Points[i].Server["hits"]; got != want {
			t.Errorf("point %d: hits %v, want %v (from the shard that scraped in it)", i, got, want)
		}
	}
	if len(tl.Scrapes) != 4 {
		t.Errorf("merged chain %+v, want shard 1's three scrapes and shard 2's second", tl.Scrapes)
	}
}
