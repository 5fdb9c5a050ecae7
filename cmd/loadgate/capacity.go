package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/report/gate"
	"github.com/loadgate/loadgate/runner/results"
	"github.com/loadgate/loadgate/scenarios"
)

// Defaults of the capacity search.
const (
	defaultCapacityFactor = 1.5
	defaultStepHold       = 30 * time.Second
	defaultStepRamp       = 5 * time.Second
	defaultStepExclude    = 5 * time.Second
	// maxCapacitySteps bounds a search whatever its flags say.
	maxCapacitySteps = 50
)

// capacityFlags are the flags of `run --find-capacity`.
type capacityFlags struct {
	find                     *bool
	start, factor, incr, max *float64
	hold, ramp, exclude      *time.Duration
}

func addCapacityFlags(fs *flag.FlagSet) *capacityFlags {
	return &capacityFlags{
		find:    fs.Bool("find-capacity", false, "raise the load step by step until a gate fails; report the last level where every gate held"),
		start:   fs.Float64("capacity-start", 0, "capacity: first level, req/s or users (default a quarter of the scenario's final level)"),
		factor:  fs.Float64("capacity-factor", defaultCapacityFactor, "capacity: each level is the previous times this"),
		incr:    fs.Float64("capacity-increment", 0, "capacity: add this to each level instead of multiplying"),
		max:     fs.Float64("capacity-max", 0, "capacity: highest level tried (default 4× the scenario's final level)"),
		hold:    fs.Duration("step-hold", defaultStepHold, "capacity: how long each level is held"),
		ramp:    fs.Duration("step-ramp", defaultStepRamp, "capacity: ramp from the previous level (not measured)"),
		exclude: fs.Duration("step-exclude", defaultStepExclude, "capacity: first part of each hold not measured"),
	}
}

// checkUnused rejects capacity flags given without --find-capacity.
func (c *capacityFlags) checkUnused() error {
	if *c.start != 0 || *c.factor != defaultCapacityFactor || *c.incr != 0 || *c.max != 0 ||
		*c.hold != defaultStepHold || *c.ramp != defaultStepRamp || *c.exclude != defaultStepExclude {
		return usageError(errors.New("the --capacity-* and --step-* flags need --find-capacity"))
	}
	return nil
}

func (c *capacityFlags) check() error {
	bad := func(v float64) bool { return v < 0 || math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case bad(*c.start):
		return usageError(fmt.Errorf("--capacity-start %v: want a positive level", *c.start))
	case bad(*c.max):
		return usageError(fmt.Errorf("--capacity-max %v: want a positive level", *c.max))
	case bad(*c.incr):
		return usageError(fmt.Errorf("--capacity-increment %v: want a positive step", *c.incr))
	case *c.incr == 0 && (*c.factor <= 1 || math.IsNaN(*c.factor) || math.IsInf(*c.factor, 0)):
		return usageError(fmt.Errorf("--capacity-factor %v: want more than 1", *c.factor))
	case *c.ramp < 0:
		return usageError(fmt.Errorf("--step-ramp %s: must not be negative", *c.ramp))
	case *c.exclude < 0:
		return usageError(fmt.Errorf("--step-exclude %s: must not be negative", *c.exclude))
	case *c.hold <= *c.exclude:
		return usageError(fmt.Errorf("--step-hold %s: must be longer than --step-exclude %s", *c.hold, *c.exclude))
	}
	return nil
}

// levels are the levels a search tries, from the flags and the scenario's
// final level; closed-model levels are whole users, strictly increasing.
func (c *capacityFlags) levels(sc *scenarios.Scenario) (report.CapacitySearch, []float64, error) {
	final := sc.FinalLevel()
	closed := sc.Load.Model == scenarios.ModelClosed
	s := report.CapacitySearch{Start: *c.start, Max: *c.max, Increment: *c.incr,
		HoldS: c.hold.Seconds(), RampS: c.ramp.Seconds(), ExcludeS: c.exclude.Seconds()}
	if s.Increment == 0 {
		s.Factor = *c.factor
	}
	if s.Start == 0 {
		s.Start = final / 4
	}
	if s.Max == 0 {
		s.Max = final * 4
	}
	if closed {
		s.Start = math.Max(1, math.Round(s.Start))
		s.Max = math.Floor(s.Max)
	}
	if s.Start <= 0 {
		return s, nil, usageError(fmt.Errorf("the scenario %s ends at level 0: give --capacity-start", sc.Name))
	}
	if s.Max < s.Start {
		return s, nil, usageError(fmt.Errorf("--capacity-max %v is below the first level %v", s.Max, s.Start))
	}
	var out []float64
	for l := s.Start; l <= s.Max*(1+1e-9); {
		if len(out) == maxCapacitySteps {
			return s, nil, usageError(fmt.Errorf("the search from %v to %v would take more than %d steps: raise --capacity-factor or --capacity-increment", s.Start, s.Max, maxCapacitySteps))
		}
		out = append(out, l)
		next := l * s.Factor
		if s.Increment > 0 {
			next = l + s.Increment
		}
		if closed {
			next = math.Max(math.Round(next), l+1)
		}
		l = next
	}
	return s, out, nil
}

// findCapacity runs sc at rising constant levels until a gate fails (or the
// highest level), writes capacity.json and report.html in a directory of its
// own (each step's run directory inside it) and prints the answer. Exit:
// 0 a level held, 1 the first level failed a gate, 2 the first level could
// not be run or judged.
func findCapacity(ctx context.Context, e env, sc *scenarios.Scenario, f *runFlags) error {
	search, levels, err := f.capacity.levels(sc)
	if err != nil {
		return err
	}
	if *f.dryRun {
		fmt.Fprintf(e.stdout, "capacity search of %s (%s model): levels %s; each held %s after a %s ramp, the first %s not measured; gates: %s\n",
			sc.Name, sc.Load.Model, joinLevels(levels), f.capacity.hold, f.capacity.ramp, f.capacity.exclude, strings.Join(gatesOf(sc, f), ", "))
		return nil
	}
	started := time.Now()
	dir := filepath.Join(*f.root, started.UTC().Format("20060102T150405Z")+"-"+sc.Name+"-capacity")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	c := &report.Capacity{Schema: 1, Scenario: sc.Name, Target: sc.Target.BaseURL, Model: sc.Load.Model,
		Started: started, Gates: gatesOf(sc, f), Search: search}
	save := func() error {
		c.Ended = time.Now()
		return results.WriteJSON(filepath.Join(dir, report.CapacityFile), c)
	}
	prev := 0.0
	for i, level := range levels {
		st := capacityStep(ctx, e, sc, f, dir, i, prev, level)
		if c.Profile == "" && st.Dir != "" {
			if run, err := results.ReadRun(filepath.Join(dir, st.Dir)); err == nil {
				c.Profile = run.Profile
			}
		}
		interrupted := ctx.Err() != nil
		if interrupted {
			// An interrupted step says nothing about its level.
			st.Verdict, st.Error = results.VerdictUnknown, "interrupted"
		}
		c.Steps = append(c.Steps, st)
		switch {
		case interrupted:
			c.Stopped = fmt.Sprintf("interrupted during %s: the capacity is at least the last level that held", c.FormatLevel(st.Level))
		case st.Verdict == results.VerdictPass:
			c.Found, c.Capacity = true, st.Level
		default:
			c.Knee = st.Level
			c.Stopped = fmt.Sprintf("stopped at %s: %s", c.FormatLevel(st.Level), whyNot(st))
		}
		if err := save(); err != nil {
			return err
		}
		if c.Stopped != "" {
			break
		}
		prev = st.Level
	}
	if c.Stopped == "" {
		c.Stopped = fmt.Sprintf("every level up to %s held (the highest tried, --capacity-max): the capacity is at least that", c.FormatLevel(levels[len(levels)-1]))
	}
	if err := save(); err != nil {
		return err
	}
	answer := capacityAnswer(c)
	if err := report.RenderCapacity(dir, c, answer, report.Options{Stderr: e.stderr}); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "capacity: %s/%s, report %s/report.html\n", dir, report.CapacityFile, dir)
	fmt.Fprintln(e.stdout, answer)
	switch {
	case c.Found:
		return nil
	case ctx.Err() != nil:
		return &exitCodeError{code: exitError, err: errors.New("interrupted before any level held")}
	case c.Steps[0].Verdict == results.VerdictFail:
		return errGateFailed
	}
	return &exitCodeError{code: exitError, err: fmt.Errorf("the first level %s could not be evaluated: %s", c.FormatLevel(levels[0]), whyNot(c.Steps[0]))}
}

// capacityStep runs one level and summarises it; a step that cannot be run
// or judged has verdict unknown and an error.
func capacityStep(ctx context.Context, e env, sc *scenarios.Scenario, f *runFlags, dir string, i int, prev, level float64) report.CapacityStep {
	st := report.CapacityStep{Level: level, Verdict: results.VerdictUnknown}
	step := *sc
	err := step.ApplyStep(scenarios.Step{From: prev, Level: level, Ramp: *f.capacity.ramp, Hold: *f.capacity.hold, Exclude: *f.capacity.exclude})
	if err != nil {
		st.Error = err.Error()
		return st
	}
	if step.Load.Model == scenarios.ModelClosed {
		level = step.Load.Stages[len(step.Load.Stages)-1].Users.To
		st.Level = level
	}
	name := fmt.Sprintf("step-%02d-%s", i+1, strings.ReplaceAll(trimLevel(level), ".", "_"))
	fmt.Fprintf(e.stderr, "capacity: step %d at %s\n", i+1, trimLevel(level))
	runDir, out, err := runOnce(ctx, e, &step, f, filepath.Join(dir, name))
	if err != nil {
		st.Error = err.Error()
		return st
	}
	st.Dir = name
	st.Verdict, st.Gates = out.Verdict, out.Gates
	run, err := results.ReadRun(runDir)
	if err != nil {
		st.Verdict, st.Error = results.VerdictUnknown, err.Error()
		return st
	}
	st.P95US, st.P99US = run.Overall.LatencyUS.P95, run.Overall.LatencyUS.P99
	st.ErrorRate = run.Overall.ErrorRate
	st.TargetRate, st.AchievedRate = run.Overall.Rate.Target, run.Overall.Rate.Achieved
	st.CacheHitRate = run.Server.CacheHitRate
	st.Warnings = run.Warnings
	if run.Status != results.StatusCompleted && st.Error == "" && len(out.Reasons) > 0 {
		st.Error = out.Reasons[len(out.Reasons)-1]
	}
	return st
}

// capacityAnswer is the one-line answer, e.g. "capacity: 420 users at
// p95 < 3s, error_rate < 1% (steady, profile optimized); knee 630 users: …".
func capacityAnswer(c *report.Capacity) string {
	held := strings.Join(c.Gates, ", ")
	if held == "" {
		held = "no gates"
	}
	who := c.Scenario
	if c.Profile != "" {
		who += ", profile " + c.Profile
	}
	if !c.Found {
		return fmt.Sprintf("capacity: none found — even the first level %s did not hold %s (%s); %s", c.FormatLevel(c.Steps[0].Level), held, who, whyNot(c.Steps[0]))
	}
	s := fmt.Sprintf("capacity: %s at %s (%s)", c.FormatLevel(c.Capacity), held, who)
	if last := c.Steps[len(c.Steps)-1]; last.Error == "interrupted" {
		s += "; interrupted at " + c.FormatLevel(last.Level) + ": it is at least that"
	} else if c.Knee != 0 {
		s += fmt.Sprintf("; knee at %s: %s", c.FormatLevel(c.Knee), whyNot(c.Steps[len(c.Steps)-1]))
	} else {
		s += "; every level tried held: it is at least that"
	}
	return s
}

// whyNot says which gates a step did not hold, with their values.
func whyNot(st report.CapacityStep) string {
	var why []string
	for _, g := range st.Gates {
		if g.Verdict == results.VerdictPass {
			continue
		}
		w := g.Expr + " " + g.Verdict
		if g.Value != nil {
			w += " (" + formatGateValue(g) + ")"
		}
		why = append(why, w)
	}
	if st.Error != "" {
		why = append(why, st.Error)
	}
	if len(why) == 0 {
		return "every gate held"
	}
	return strings.Join(why, "; ")
}

func gatesOf(sc *scenarios.Scenario, f *runFlags) []string {
	if f.gates != nil {
		return append([]string{}, f.gates...)
	}
	return append([]string{}, sc.Gates...)
}

func trimLevel(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.2f", v)
}

func joinLevels(ls []float64) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = trimLevel(l)
	}
	return strings.Join(s, ", ")
}

func formatGateValue(g results.Gate) string { return gate.Format(*g.Value, g.Unit) }
