package record

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// shardRun is one shard's results directory and its run.json.
type shardRun struct {
	dir string
	run *Run
}

// shardSet is the shards to merge, by index, and what was left out.
type shardSet struct {
	shards  []shardRun // sorted by shard index
	count   int        // the plan's shard count
	missing []int
	partial bool
	notes   []string // why shards were left out (--partial)
	gates   []string // the gates the shards were judged by in place of the scenario's
	scraper int      // index into shards of the one whose scrapes are used
}

func (s *shardSet) dirs() []string {
	out := make([]string, len(s.shards))
	for i, sh := range s.shards {
		out[i] = sh.dir
	}
	return out
}

// notYet marks a refusal that time may cure: a shard not written yet, or
// still running.
type notYet struct{ err error }

func (e notYet) Error() string { return e.err.Error() }
func (e notYet) Unwrap() error { return e.err }

// waitForShards reads the shard runs, looking again while some are not
// there yet and cfg.wait has not passed on cfg.clock.
func waitForShards(ctx context.Context, dirs []string, cfg mergeConfig) (*shardSet, error) {
	if cfg.poll <= 0 {
		cfg.poll = DefaultMergePoll
	}
	clk := cfg.clock
	deadline := clk.now().Add(cfg.wait)
	for cfg.wait > 0 && clk.until(deadline) > 0 {
		set, err := readShards(shardDirsIn(dirs), false)
		if err == nil || !errors.As(err, new(notYet)) {
			return set, err
		}
		due, stop := clk.after(min(cfg.poll, clk.until(deadline)))
		select {
		case <-ctx.Done():
			stop()
			return nil, fmt.Errorf("merge: stopped while waiting for shards (%v): %w", err, ctx.Err())
		case <-due:
		}
	}
	return readShards(shardDirsIn(dirs), cfg.partial)
}

// shardDirsIn lists the shard run directories named by dirs: a directory
// with a run.json is one; a directory without (a results directory the
// shards write into) stands for its subdirectories. A directory that does
// not exist is kept as given, for readShards to report.
func shardDirsIn(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, RunFile)); err == nil {
			out = append(out, d)
			continue
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			out = append(out, d)
			continue
		}
		var subs []string
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				subs = append(subs, filepath.Join(d, e.Name()))
			}
		}
		if len(subs) == 0 {
			subs = []string{d}
		}
		out = append(out, subs...)
	}
	return out
}

// readShards reads and checks the shard runs (see Merge).
func readShards(dirs []string, partial bool) (*shardSet, error) {
	set := &shardSet{}
	var first *shardRun
	byIndex := map[int]string{}
	var all []shardRun
	for _, d := range dirs {
		r, err := ReadRun(d)
		if err != nil {
			if partial {
				set.notes = append(set.notes, fmt.Sprintf("%s left out: %v", d, err))
				set.partial = true
				continue
			}
			err = fmt.Errorf("merge: %w (--partial merges the other shards)", err)
			if errors.Is(err, ErrMissing) {
				err = notYet{err}
			}
			return nil, err
		}
		sh := shardRun{dir: d, run: r}
		switch {
		case r.ShardCount == 0:
			return nil, fmt.Errorf("merge: %s is not a shard run (run.json has no shard_count; run shards with --shard i/N or --shard auto)", d)
		case r.ShardCount > MaxShards:
			// What the merge accounts for (the missing indexes) must not
			// grow with what a file claims.
			return nil, fmt.Errorf("merge: %s claims to be shard %d of %d: a plan runs as at most %d shards", filepath.Join(d, RunFile), r.ShardIndex, r.ShardCount, MaxShards)
		case r.PlanHash == "":
			return nil, fmt.Errorf("merge: %s records no plan_hash (written by an older loadgate): rerun the shards", d)
		case first == nil:
			first = &sh
		case r.PlanHash != first.run.PlanHash:
			return nil, fmt.Errorf("merge: %s and %s are shards of different plans (plan_hash %s vs %s): scenario, overrides or target differ", first.dir, d, first.run.PlanHash, r.PlanHash)
		case r.ShardCount != first.run.ShardCount:
			return nil, fmt.Errorf("merge: %s is shard %d of %d, %s shard %d of %d: the shard counts differ", first.dir, first.run.ShardIndex, first.run.ShardCount, d, r.ShardIndex, r.ShardCount)
		case len(r.Plan.Stages) != len(first.run.Plan.Stages):
			return nil, fmt.Errorf("merge: %s plans %d stages, %s %d stages: not one plan", first.dir, len(first.run.Plan.Stages), d, len(r.Plan.Stages))
		}
		if r.ShardIndex < 1 || r.ShardIndex > r.ShardCount {
			return nil, fmt.Errorf("merge: %s has shard index %d of %d", d, r.ShardIndex, r.ShardCount)
		}
		if other, dup := byIndex[r.ShardIndex]; dup {
			return nil, fmt.Errorf("merge: %s and %s are both shard %d of %d", other, d, r.ShardIndex, r.ShardCount)
		}
		byIndex[r.ShardIndex] = d
		all = append(all, sh)
	}
	if first == nil {
		return nil, fmt.Errorf("merge: none of the %d directories holds a shard run: %s", len(dirs), strings.Join(set.notes, "; "))
	}
	set.count = first.run.ShardCount
	for _, sh := range all {
		switch sh.run.Status {
		case StatusCompleted:
		case StatusAborted:
			if !partial {
				return nil, fmt.Errorf("merge: shard %d (%s) did not complete: status %s (--partial merges what it recorded)", sh.run.ShardIndex, sh.dir, sh.run.Status)
			}
			set.partial = true
			set.notes = append(set.notes, fmt.Sprintf("shard %d was aborted: it holds only what it recorded", sh.run.ShardIndex))
		default:
			if !partial {
				err := fmt.Errorf("merge: shard %d (%s) did not complete: status %q (--partial merges the other shards)", sh.run.ShardIndex, sh.dir, sh.run.Status)
				if sh.run.Status != StatusFailed {
					err = notYet{err} // still running
				}
				return nil, err
			}
			set.partial = true
			set.notes = append(set.notes, fmt.Sprintf("shard %d (%s) left out: status %q", sh.run.ShardIndex, sh.dir, sh.run.Status))
			continue
		}
		set.shards = append(set.shards, sh)
	}
	sort.Slice(set.shards, func(i, j int) bool { return set.shards[i].run.ShardIndex < set.shards[j].run.ShardIndex })
	next := 1 // the lowest index not yet seen merged or missing
	for _, sh := range set.shards {
		for ; next < sh.run.ShardIndex; next++ {
			set.missing = append(set.missing, next)
		}
		next = sh.run.ShardIndex + 1
	}
	for ; next <= set.count; next++ {
		set.missing = append(set.missing, next)
	}
	if len(set.missing) > 0 && !partial {
		return nil, notYet{fmt.Errorf("merge: shard %s of %d missing (give every shard's directory, or --partial)", intRanges(set.missing), set.count)}
	}
	if len(set.missing) > 0 {
		set.partial = true
	}
	if len(set.shards) == 0 {
		return nil, fmt.Errorf("merge: no shard left to merge: %s", strings.Join(set.notes, "; "))
	}
	gates, err := shardGates(set.shards)
	if err != nil {
		return nil, err
	}
	set.gates = gates
	for i, sh := range set.shards {
		if sh.run.Server.Scrapes > set.shards[set.scraper].run.Server.Scrapes {
			set.scraper = i
		}
	}
	return set, nil
}

// shardGates returns the gates the shards were judged by in place of the
// scenario's (nil when they were judged by the scenario's), so that the
// merged run is judged as its shards were. A shard with no recorded verdict
// counts as judged by the scenario's gates. Shards judged by different gates
// are refused: the merged run could not be judged as each of them was.
func shardGates(shards []shardRun) ([]string, error) {
	gatesOf := func(r *Run) ([]string, string) {
		if r.Judged != nil && r.Judged.Source == GatesOverride {
			return r.Judged.Gates, "gates given in place of the scenario's"
		}
		return r.Plan.Gates, "the scenario's gates"
	}
	first, firstSource := gatesOf(shards[0].run)
	for _, sh := range shards[1:] {
		gates, source := gatesOf(sh.run)
		if source != firstSource || !slices.Equal(gates, first) {
			return nil, fmt.Errorf("merge: shard %d (%s) and shard %d (%s) were judged by different gates: %q (%s) and %q (%s); run every shard with the same --gate flags",
				shards[0].run.ShardIndex, shards[0].dir, sh.run.ShardIndex, sh.dir, first, firstSource, gates, source)
		}
	}
	if r := shards[0].run; r.Judged != nil && r.Judged.Source == GatesOverride {
		return append([]string{}, first...), nil
	}
	return nil, nil
}

// intRanges says a sorted list of indexes with runs as ranges:
// "1, 3-5, 9".
func intRanges(xs []int) string {
	var b strings.Builder
	for i := 0; i < len(xs); {
		j := i
		for j+1 < len(xs) && xs[j+1] == xs[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(xs[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(xs[j]))
		}
		i = j + 1
	}
	return b.String()
}
