package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/runner/capacity"
	"github.com/loadgate/loadgate/scenarios"
)

// capacityFlags are the flags of `run --find-capacity`.
type capacityFlags struct {
	find *bool
	set  capacity.Settings
}

// capacityFlagNames are the flags that set capacity.Settings' fields, for
// error messages.
var capacityFlagNames = map[string]string{
	"start": "--capacity-start", "factor": "--capacity-factor", "increment": "--capacity-increment",
	"max": "--capacity-max", "hold": "--step-hold", "ramp": "--step-ramp", "exclude": "--step-exclude",
}

// newCapacityFlags is the capacity search off, with the default settings.
func newCapacityFlags() *capacityFlags {
	return &capacityFlags{find: new(bool), set: capacity.DefaultSettings()}
}

// addCapacityFlags adds --find-capacity and its settings, grouped in the usage.
func addCapacityFlags(f *cmdFlags) *capacityFlags {
	c := newCapacityFlags()
	f.BoolVar(c.find, "find-capacity", false, "raise the load step by step until a gate fails; report the last level where every gate held")
	f.Float64Var(&c.set.Start, "capacity-start", 0, "first level, req/s or users (default a quarter of the scenario's final level)")
	f.Float64Var(&c.set.Factor, "capacity-factor", capacity.DefaultFactor, "each level is the previous times this")
	f.Float64Var(&c.set.Increment, "capacity-increment", 0, "add this to each level instead of multiplying")
	f.Float64Var(&c.set.Max, "capacity-max", 0, "highest level tried (default 4× the scenario's final level)")
	f.DurationVar(&c.set.Hold, "step-hold", capacity.DefaultHold, "how long each level is held")
	f.DurationVar(&c.set.Ramp, "step-ramp", capacity.DefaultRamp, "ramp from the previous level (not measured)")
	f.DurationVar(&c.set.Exclude, "step-exclude", capacity.DefaultExclude, "first part of each hold not measured")
	f.group("capacity search (--find-capacity; the other flags need it; writes results/<time>-<scenario>-capacity/)",
		"find-capacity", "capacity-start", "capacity-factor", "capacity-increment", "capacity-max",
		"step-hold", "step-ramp", "step-exclude")
	return c
}

// checkUnused rejects capacity flags given without --find-capacity.
func (c *capacityFlags) checkUnused() error {
	if c.set != capacity.DefaultSettings() {
		return usageError(errors.New("the --capacity-* and --step-* flags need --find-capacity"))
	}
	return nil
}

// flagError turns a capacity.SettingsError into a usage error that names
// the flag.
func flagError(err error) error {
	var se *capacity.SettingsError
	if errors.As(err, &se) {
		if name, ok := capacityFlagNames[se.Field]; ok {
			return usageError(fmt.Errorf("%s %s", name, se.Msg))
		}
		return usageError(err)
	}
	return err
}

func (c *capacityFlags) check() error { return flagError(c.set.Check()) }

// checkScenario refuses, with --find-capacity, a scenario the search cannot
// run (capacity.CheckScenario), before anything is started.
func (c *capacityFlags) checkScenario(sc *scenarios.Scenario) error {
	if !*c.find {
		return nil
	}
	if err := capacity.CheckScenario(sc); err != nil {
		return usageError(fmt.Errorf("--find-capacity: %w", err))
	}
	return nil
}

// findCapacity runs the capacity search of sc (runner/capacity), each step
// an ordinary run with its report, then renders the search's report and
// prints the answer. Exit: 0 a level held, 1 the first level failed a gate,
// 2 the first level could not be run or judged.
func findCapacity(ctx context.Context, e env, sc *scenarios.Scenario, f *runFlags) error {
	set := f.capacity.set
	if *f.dryRun {
		plan, err := capacity.Describe(sc, set, gatesOf(sc, f))
		if err != nil {
			return flagError(err)
		}
		fmt.Fprintln(e.stdout, plan)
		return nil
	}
	search := &capacity.Search{Scenario: sc, Settings: set, Gates: gatesOf(sc, f), Root: *f.root, Log: e.stderr,
		Step: func(ctx context.Context, step *scenarios.Scenario, dir string) (string, record.Outcome, error) {
			return runOnce(ctx, e, step, f, dir)
		}}
	c, dir, err := search.Run(ctx)
	if err != nil {
		return flagError(err)
	}
	answer := capacity.Answer(c)
	if err := report.RenderCapacity(dir, c, answer, report.Options{Stderr: e.stderr}); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "capacity: %s/%s, report %s/report.html\n", dir, record.CapacityFile, dir)
	fmt.Fprintln(e.stdout, answer)
	switch {
	case c.Found:
		return nil
	case ctx.Err() != nil:
		return &exitCodeError{code: exitError, err: errors.New("interrupted before any level held")}
	case c.Steps[0].Verdict == record.VerdictFail:
		return errGateFailed
	}
	return &exitCodeError{code: exitError, err: fmt.Errorf("the first level %s could not be evaluated: %s", c.FormatLevel(c.Steps[0].Level), capacity.WhyNot(c.Steps[0]))}
}

func gatesOf(sc *scenarios.Scenario, f *runFlags) []string {
	if f.gates != nil {
		return append([]string{}, f.gates...)
	}
	return sc.GateExprs()
}
