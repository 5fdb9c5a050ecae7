package trial

import (
	"io"
	"time"

	"github.com/loadgate/loadgate/leftovers"
	"github.com/loadgate/loadgate/runner"
	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/trial/capacity"
)

// Env is what a trial may touch of the outside world.
type Env struct {
	// Stdout receives the results a user asked for (the gate table, the
	// dry-run plan, a capacity search's answer); Stderr the progress and
	// the warnings. Both should escape outside text for a terminal
	// (redact.TerminalWriter), as loadgate's command gives them.
	Stdout, Stderr io.Writer
	// Getenv reads the environment ($LOADGATE_START_AT, $GOGC,
	// $LOADGATE_PG_DATA, the shard's index and count).
	Getenv func(string) string
	// Version is loadgate's, recorded in run.json.
	Version string
	// Live, when set, serves each run's live metrics (--metrics-addr).
	Live *runner.MetricsServer
	// Ledger records what a trial turns on that would outlive it: the
	// target process, the drills that are on (leftovers.Ledger, which the
	// command's interrupt handling reads); nil records nothing.
	Ledger *leftovers.Ledger
	// History, when set, is the store each run, merge and capacity search
	// is added to when it ends (after its files are written; a failure is
	// a warning), and where Plan.Baseline history finds its past runs.
	History History
}

// Plan is what the command line asks of a run: which scenario, and what to
// change in it.
type Plan struct {
	// Scenario is a built-in scenario's name or a YAML file.
	Scenario string
	// Target replaces the scenario's target.base_url (--target).
	Target string
	// Duration and Rate scale the stages (--duration, --rate).
	Duration time.Duration
	Rate     float64
	// Shard is "i/N" or "auto" (--shard).
	Shard string
	// StartAt is the common start of shards, RFC 3339 (--start-at);
	// default $LOADGATE_START_AT.
	StartAt string
	// AllowLong lets a plan run over scenarios.MaxPlanDuration or send
	// over scenarios.MaxPlanRequests.
	AllowLong bool
	// Gates, when non-nil, judge the run in place of the scenario's (--gate).
	Gates []string
	// Root is the results root; default "results". Out is the exact run
	// directory (absent or empty); default a new directory under Root.
	Root, Out string
	// DryRun prints the resolved plan and sends nothing.
	DryRun bool
	// Commit, when set, is recorded as the commit under test in place of
	// the working directory's checkout (bisect's commit at each step).
	Commit string
	// Baseline, when set, adds a regression check to the run's verdict:
	// against a run directory, or, report.BaselineHistory, against past
	// runs from Env.History (--baseline). MaxRegression are its limits
	// (default report.DefaultMaxRegression on p95).
	Baseline      string
	MaxRegression map[string]float64
	// Capacity, when set, searches for the highest level at which every
	// gate holds instead of running the plan once (--find-capacity).
	Capacity *capacity.Settings
}

// Stack is how the reference target is set up by Scenario and Compare.
type Stack struct {
	// Profile is the target's profile: "optimized" or "baseline".
	Profile string
	// Seed sizes the data seeded into an empty database.
	Seed seed.Options
}

func (p Plan) root() string {
	if p.Root == "" {
		return runner.DefaultResultsRoot
	}
	return p.Root
}
