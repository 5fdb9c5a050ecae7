package trial

import (
	"fmt"
	"strings"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/report"
)

// History is the store of past runs (package history's Recorder) a trial
// adds each run, merge and capacity search to once its files are written,
// and asks for the past runs a run is checked against with Plan.Baseline
// report.BaselineHistory.
type History interface {
	// Add adds a finished run: run.json's content, its directory dir.
	Add(dir string, run *record.Run) error
	// AddCapacity adds a finished capacity search (capacity.json, in dir).
	AddCapacity(dir string, c *record.Capacity) error
	// Baseline returns the past runs run is checked against and says how
	// they were chosen; an error when there are none says why.
	Baseline(run *record.Run) ([]record.PastRun, string, error)
}

// addToHistory adds a run to env.History. A store that fails is a warning:
// the run's own files are written and its verdict stands.
func addToHistory(env Env, dir string, run *record.Run) {
	if env.History == nil {
		return
	}
	if err := env.History.Add(dir, run); err != nil {
		fmt.Fprintf(env.Stderr, "loadgate: warning: the run was not added to history: %v\n", err)
	}
}

// addCapacityToHistory adds a capacity search to env.History, warning when
// it cannot.
func addCapacityToHistory(env Env, dir string, c *record.Capacity) {
	if env.History == nil {
		return
	}
	if err := env.History.AddCapacity(dir, c); err != nil {
		fmt.Fprintf(env.Stderr, "loadgate: warning: the capacity search was not added to history: %v\n", err)
	}
}

// baselineOptions sets the regression check of p (Plan.Baseline) on o for
// run: a run directory, or past runs from history (none, or a store that
// fails, leaves the check unknown, saying why).
func baselineOptions(env Env, p Plan, run *record.Run, o *report.Options) {
	if p.Baseline == "" {
		return
	}
	o.Baseline, o.MaxRegression = p.Baseline, p.MaxRegression
	if p.Baseline != report.BaselineHistory {
		return
	}
	if env.History == nil {
		o.BaselineBasis = "no history store (--history off)"
		return
	}
	runs, how, err := env.History.Baseline(run)
	if err != nil {
		o.BaselineBasis = strings.TrimPrefix(err.Error(), "no baseline in history: ")
		return
	}
	o.Baselines, o.BaselineBasis = runs, how
	fmt.Fprintf(env.Stderr, "baseline: %s\n", how)
}
