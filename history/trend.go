package history

import (
	"context"
	"errors"
	"fmt"

	"github.com/loadgate/loadgate/record"
)

// TrendRuns are the runs a trend page of one scenario draws.
type TrendRuns struct {
	PlanHash string
	// Runs are the plan's runs, in commit order (CommitOrder).
	Runs []record.PastRun
	// Baseline are the runs a new run of the plan would be checked against
	// (Baseline by the rule), their spread the page's noise band; Basis
	// says which, or why there are none.
	Baseline []record.PastRun
	Basis    string
	// Notes say what was left out.
	Notes []string
}

// Trend chooses the runs of a trend page of scenario: the completed and
// aborted runs and merges of one plan — plan ("" the plan of the
// scenario's newest run) — on branch ("" any), in commit order, and the
// baseline a new run of that plan would be checked against by rule. Runs
// of the scenario's other plans (another rate, another target) are not
// comparable and left out, and a note says how many.
func (s *Store) Trend(ctx context.Context, scenario, plan, branch string, rule BaselineRule) (*TrendRuns, error) {
	all, err := s.Runs(ctx, Filter{Scenario: scenario, Branch: branch, Shard: WholePlan, Kinds: []string{record.KindRun, record.KindMerge}})
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("history store %s has no run of scenario %q%s", s.name, scenario, onBranch(branch))
	}
	newest := all[len(all)-1]
	if plan == "" {
		plan = newest.Run.PlanHash
	}
	t := &TrendRuns{PlanHash: plan}
	others := 0
	for _, r := range all {
		switch {
		case r.Run.PlanHash != plan:
			others++
		case r.Run.Status == record.StatusFailed:
		default:
			t.Runs = append(t.Runs, r)
			newest = r
		}
	}
	if len(t.Runs) == 0 {
		return nil, fmt.Errorf("history store %s has no finished run of scenario %q with plan %s%s", s.name, scenario, plan, onBranch(branch))
	}
	if others > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("%d runs of scenario %s with another plan (another rate, duration or target) are left out: they are not comparable.", others, scenario))
	}
	CommitOrder(ctx, rule.Dir, t.Runs)
	next := &record.Run{ID: "next", PlanHash: plan, Profile: newest.Run.Profile}
	t.Baseline, t.Basis, err = s.Baseline(ctx, next, rule)
	if errors.Is(err, ErrNoBaseline) {
		t.Basis, err = err.Error(), nil
	}
	return t, err
}

func onBranch(b string) string {
	if b == "" {
		return ""
	}
	return " on branch " + b
}
