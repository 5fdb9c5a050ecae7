package history

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/loadgate/loadgate/record"
)

// DefaultBaselineRuns is how many past runs a run is checked against by
// default (K).
const DefaultBaselineRuns = 5

// ErrNoBaseline is wrapped by Baseline when the store holds no run to
// check against: `loadgate gate --baseline history` exits 2.
var ErrNoBaseline = errors.New("no baseline in history")

// BaselineRule says which past runs a run is checked against: the last
// Runs (K) completed runs of the same plan (plan hash, the target's
// profile, and the shard when it is one) other than the run itself, from
//
//   - Branch, when set: the newest runs recorded on that branch;
//   - else the runs at the merge base of the checkout's HEAD and main
//     (origin/main when there is no local main) or before it, newest
//     commit first (git rev-list order), then newest run first: what the
//     branch forked from, not what main did since;
//   - else, outside a git checkout or without main, the newest runs
//     recorded on main, and with none there the newest recorded on no
//     branch (made outside a git checkout, as such a run is).
type BaselineRule struct {
	Runs   int    // default DefaultBaselineRuns
	Branch string // --baseline-branch
	// Dir is the git checkout whose merge base is taken ("" the working
	// directory).
	Dir string
}

// Baseline returns the past runs rule chooses for run, oldest first, with
// their per-second latencies, and says in words what they are ("the last
// 5 completed runs of plan sha256:1a2b3c4d… at or before 9f8e7d6, the
// merge base of HEAD and main"). No such run is ErrNoBaseline, saying
// where it looked.
func (s *Store) Baseline(ctx context.Context, run *record.Run, rule BaselineRule) ([]record.PastRun, string, error) {
	k := rule.Runs
	if k <= 0 {
		k = DefaultBaselineRuns
	}
	if run.PlanHash == "" {
		return nil, "", fmt.Errorf("%w: run %s has no plan hash (a run.json from before plans were hashed)", ErrNoBaseline, run.ID)
	}
	f := Filter{PlanHash: run.PlanHash, Shard: run.Shard, Profile: run.Profile, Status: record.StatusCompleted,
		Kinds: []string{record.KindRun, record.KindMerge}, Exclude: runKey(run)}
	if f.Shard == "" {
		f.Shard = WholePlan
	}
	plan := fmt.Sprintf("plan %s", shortHash(run.PlanHash))
	if run.Shard != "" {
		plan += " shard " + run.Shard
	}
	words := func(n int, where string) string {
		if n == 1 {
			return fmt.Sprintf("the last completed run of %s %s", plan, where)
		}
		return fmt.Sprintf("the last %d completed runs of %s %s", n, plan, where)
	}
	byBranch := func(branch, why string) ([]record.PastRun, string, error) {
		bf := f
		bf.Branch, bf.Limit, bf.Seconds = branch, k, true
		runs, err := s.Runs(ctx, bf)
		if err != nil {
			return nil, "", err
		}
		where := "on branch " + branch + why
		if len(runs) == 0 {
			return nil, "", fmt.Errorf("%w: %s has no completed run of %s %s", ErrNoBaseline, s.name, plan, where)
		}
		return runs, words(len(runs), where), nil
	}
	if rule.Branch != "" {
		return byBranch(rule.Branch, "")
	}
	mb, ref, err := mergeBase(ctx, rule.Dir)
	if err != nil {
		runs, how, mainErr := byBranch(MainBranch, fmt.Sprintf(" (no merge base: %v)", err))
		if !errors.Is(mainErr, ErrNoBaseline) {
			return runs, how, mainErr
		}
		// Runs made where this one is, outside a checkout, have no branch.
		nf := f
		nf.Branch, nf.Limit, nf.Seconds = NoBranch, k, true
		if runs, err = s.Runs(ctx, nf); err != nil {
			return nil, "", err
		}
		if len(runs) == 0 {
			return nil, "", fmt.Errorf("%w, nor any recorded outside a git checkout", mainErr)
		}
		return runs, words(len(runs), "recorded outside a git checkout (no branch; none on "+MainBranch+")"), nil
	}
	// The commits of candidate runs, then git's order of the merge base's
	// ancestry.
	cands, err := s.Runs(ctx, f)
	if err != nil {
		return nil, "", err
	}
	commits, err := ancestors(ctx, rule.Dir, mb)
	if err != nil {
		return nil, "", err
	}
	var chosen []string
	for _, c := range commits {
		for i := len(cands) - 1; i >= 0 && len(chosen) < k; i-- { // newest run first
			rc := cands[i].Run.Commit
			if rc != "" && strings.HasPrefix(c, rc) {
				chosen = append(chosen, cands[i].Key)
			}
		}
		if len(chosen) == k {
			break
		}
	}
	where := fmt.Sprintf("at or before %s, the merge base of HEAD and %s", short(mb), ref)
	if len(chosen) == 0 {
		return nil, "", fmt.Errorf("%w: %s has no completed run of %s %s", ErrNoBaseline, s.name, plan, where)
	}
	runs, err := s.Runs(ctx, Filter{Keys: chosen, Seconds: true})
	if err != nil {
		return nil, "", err
	}
	return runs, words(len(runs), where), nil
}

func shortHash(h string) string {
	if i := strings.IndexByte(h, ':'); i >= 0 && len(h) > i+13 {
		return h[:i+13] + "…"
	}
	return h
}

func short(commit string) string {
	if len(commit) > 10 {
		return commit[:10]
	}
	return commit
}
