// Package capacity searches for the highest load a target holds: it runs a
// scenario at rising constant levels (req/s in the open model, users in the
// closed one), judges each step by the scenario's gates, and stops at the
// first level where one fails. The capacity is the last level where every
// gate held; the first failing level is the knee. Each step is an ordinary
// run, made by the caller's Step function, so its results directory and
// report are like any other run's.
package capacity

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/scenarios"
)

// Defaults of a search.
const (
	DefaultFactor  = 1.5
	DefaultHold    = 30 * time.Second
	DefaultRamp    = 5 * time.Second
	DefaultExclude = 5 * time.Second
	// MaxSteps bounds a search whatever its settings.
	MaxSteps = 50
)

// Settings choose the levels and how each is held. A zero Start is a quarter
// of the scenario's final level, a zero Max four times it; a non-zero
// Increment replaces Factor. A non-zero Goodput (a share, at most 1) adds
// the gate "goodput >= Goodput" to those judging each step
// (GoodputGate): the search finds the highest level whose goodput stays at
// or above it. A goodput gate of the scenario (or --gate) does the same.
type Settings struct {
	Start, Factor, Increment, Max float64
	Hold, Ramp, Exclude           time.Duration
	Goodput                       float64
}

// GoodputGate is the gate that Settings.Goodput adds: "goodput >= 90%".
func GoodputGate(share float64) string {
	return "goodput >= " + strconv.FormatFloat(share*100, 'f', -1, 64) + "%"
}

// withGoodput returns sc and gates, with the goodput gate added to both
// when set asks for one; the scenario is a copy with its gates replaced
// (as --gate replaces them), refused when it has no slo or no streams.
func withGoodput(sc *scenarios.Scenario, set Settings, gates []string) (*scenarios.Scenario, []string, error) {
	if set.Goodput == 0 {
		return sc, gates, nil
	}
	g := GoodputGate(set.Goodput)
	cp := *sc
	if err := cp.Apply(scenarios.Overrides{Gates: append(cp.GateExprs(), g)}); err != nil {
		return nil, nil, settingsError("goodput", "%v: %v", set.Goodput, err)
	}
	return &cp, append(slices.Clip(gates), g), nil
}

// DefaultSettings are the settings of a search nobody tuned: the default
// factor, hold, ramp and exclusion; Start and Max from the scenario.
func DefaultSettings() Settings {
	return Settings{Factor: DefaultFactor, Hold: DefaultHold, Ramp: DefaultRamp, Exclude: DefaultExclude}
}

// SettingsError is a setting that cannot make a search. Field is the
// Settings field in lower case ("start", "hold"…) or empty for the search as
// a whole; a command line may rename it to its flag.
type SettingsError struct {
	Field string
	Msg   string // what is wrong, starting with the value
}

func (e *SettingsError) Error() string {
	if e.Field == "" {
		return "capacity search: " + e.Msg
	}
	return e.Field + " " + e.Msg
}

func settingsError(field, format string, a ...any) error {
	return &SettingsError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// Check rejects settings that cannot make a search, naming the field.
func (s Settings) Check() error {
	bad := func(v float64) bool { return v < 0 || math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case bad(s.Start):
		return settingsError("start", "%v: want a positive level", s.Start)
	case bad(s.Max):
		return settingsError("max", "%v: want a positive level", s.Max)
	case bad(s.Increment):
		return settingsError("increment", "%v: want a positive step", s.Increment)
	case s.Increment == 0 && (s.Factor <= 1 || math.IsNaN(s.Factor) || math.IsInf(s.Factor, 0)):
		return settingsError("factor", "%v: want more than 1", s.Factor)
	case s.Ramp < 0:
		return settingsError("ramp", "%s: must not be negative", s.Ramp)
	case s.Exclude < 0:
		return settingsError("exclude", "%s: must not be negative", s.Exclude)
	case s.Hold <= s.Exclude:
		return settingsError("hold", "%s: must be longer than the part of it not measured (%s)", s.Hold, s.Exclude)
	case bad(s.Goodput) || s.Goodput > 1:
		return settingsError("goodput", "%v: want a share above 0 and at most 1 (0.9 for 90 %%)", s.Goodput)
	}
	return nil
}

// CheckScenario refuses a scenario a search cannot run: one with faults.
// Every step is a run of the whole scenario, so each would inject every
// fault again, and a step that fails during a fault says nothing of its
// level. A caller checks this when the scenario is loaded, before it starts
// anything; Describe and Search.Run check it too.
func CheckScenario(sc *scenarios.Scenario) error {
	if len(sc.Faults) == 0 {
		return nil
	}
	labels := make([]string, len(sc.Faults))
	for i, f := range sc.Faults {
		labels[i] = f.Label()
	}
	return fmt.Errorf("scenario %s has faults (%s): a capacity search cannot hold its levels through them (each step would inject every fault again); search a copy of the scenario without faults",
		sc.Name, strings.Join(labels, ", "))
}

// Describe says in one line what a search of sc with set would do (a dry
// run's answer): the levels, how each is held, the gates that judge it. Its
// error is CheckScenario's or Levels'.
func Describe(sc *scenarios.Scenario, set Settings, gates []string) (string, error) {
	if err := CheckScenario(sc); err != nil {
		return "", err
	}
	sc, gates, err := withGoodput(sc, set, gates)
	if err != nil {
		return "", err
	}
	_, levels, err := Levels(sc, set)
	if err != nil {
		return "", err
	}
	ls := make([]string, len(levels))
	for i, l := range levels {
		ls[i] = FormatLevel(l)
	}
	return fmt.Sprintf("capacity search of %s (%s model): levels %s; each held %s after a %s ramp, the first %s not measured; gates: %s",
		sc.Name, sc.Load.Model, strings.Join(ls, ", "), set.Hold, set.Ramp, set.Exclude, strings.Join(gates, ", ")), nil
}

// Levels are the levels a search of sc tries, and the search as recorded in
// capacity.json; closed-model levels are whole users, strictly increasing.
func Levels(sc *scenarios.Scenario, set Settings) (record.CapacitySearch, []float64, error) {
	final := sc.FinalLevel()
	closed := sc.Load.Model == scenarios.ModelClosed
	s := record.CapacitySearch{Start: set.Start, Max: set.Max, Increment: set.Increment,
		HoldS: set.Hold.Seconds(), RampS: set.Ramp.Seconds(), ExcludeS: set.Exclude.Seconds()}
	if s.Increment == 0 {
		s.Factor = set.Factor
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
		return s, nil, settingsError("start", "0: the scenario %s ends at level 0, so give a first level", sc.Name)
	}
	if s.Max < s.Start {
		return s, nil, settingsError("max", "%v: below the first level %v", s.Max, s.Start)
	}
	var out []float64
	for l := s.Start; l <= s.Max*(1+1e-9); {
		if len(out) == MaxSteps {
			return s, nil, settingsError("", "from %v to %v would take more than %d steps: raise the factor or the increment", s.Start, s.Max, MaxSteps)
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

// Step runs one step's scenario into dir and judges it, returning the run
// directory and its gate outcome.
type Step func(ctx context.Context, sc *scenarios.Scenario, dir string) (runDir string, out record.Outcome, err error)

// Search is one capacity search of a scenario.
type Search struct {
	Scenario *scenarios.Scenario
	Settings Settings
	Gates    []string  // the gates judging each step, for the record
	Root     string    // results root: the search writes <root>/<time>-<scenario>-capacity/
	Log      io.Writer // progress lines; nil for none
	Step     Step
	// Now is the clock the search's times are read from (capacity.json's
	// started and ended, its directory's name); nil is the wall clock.
	Now func() time.Time
}

// Run searches, writing capacity.json after every step (atomically) and
// report.html at the end into a directory of its own, which it returns. An
// interrupted search (ctx done) records what it reached. The error is for
// what stopped the search itself (settings, a scenario with faults, the
// directory, writing files),
// not for a step that failed: that is in the result.
func (s *Search) Run(ctx context.Context) (*record.Capacity, string, error) {
	sc, log, now := s.Scenario, s.Log, s.Now
	if log == nil {
		log = io.Discard
	}
	if now == nil {
		now = time.Now
	}
	if err := s.Settings.Check(); err != nil {
		return nil, "", err
	}
	if err := CheckScenario(sc); err != nil {
		return nil, "", err
	}
	sc, gates, err := withGoodput(sc, s.Settings, s.Gates)
	if err != nil {
		return nil, "", err
	}
	search, levels, err := Levels(sc, s.Settings)
	if err != nil {
		return nil, "", err
	}
	started := now()
	dir := filepath.Join(s.Root, record.DirTime(started)+"-"+sc.Name+"-capacity")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	c := &record.Capacity{Schema: 1, Scenario: sc.Name, Target: redact.URL(sc.Target.BaseURL), Model: sc.Load.Model,
		Started: started, Gates: gates, Search: search, Series: sc.NamedSeries()}
	save := func() error {
		c.Ended = now()
		return record.WriteJSON(filepath.Join(dir, record.CapacityFile), c)
	}
	prev := 0.0
	for i, level := range levels {
		st := s.step(ctx, log, sc, dir, i, prev, level)
		if c.Profile == "" && st.Dir != "" {
			if run, err := record.ReadRun(filepath.Join(dir, st.Dir)); err == nil {
				c.Profile = run.Profile
			}
		}
		interrupted := ctx.Err() != nil
		if interrupted {
			// An interrupted step says nothing about its level.
			st.Verdict, st.Error = record.VerdictUnknown, "interrupted"
		}
		c.Steps = append(c.Steps, st)
		switch {
		case interrupted:
			c.Stopped = fmt.Sprintf("interrupted during %s: the capacity is at least the last level that held", c.FormatLevel(st.Level))
		case st.Verdict == record.VerdictPass:
			c.Found, c.Capacity = true, st.Level
		default:
			c.Knee = st.Level
			c.Stopped = fmt.Sprintf("stopped at %s: %s", c.FormatLevel(st.Level), WhyNot(st))
		}
		if err := save(); err != nil {
			return nil, dir, err
		}
		if c.Stopped != "" {
			break
		}
		prev = st.Level
	}
	if c.Stopped == "" {
		c.Stopped = fmt.Sprintf("every level up to %s held (the highest tried): the capacity is at least that", c.FormatLevel(levels[len(levels)-1]))
	}
	if err := save(); err != nil {
		return nil, dir, err
	}
	return c, dir, nil
}

// step runs one level and summarises it; a step that cannot be run or
// judged has verdict unknown and an error.
func (s *Search) step(ctx context.Context, log io.Writer, sc *scenarios.Scenario, dir string, i int, prev, level float64) record.CapacityStep {
	st := record.CapacityStep{Level: level, Verdict: record.VerdictUnknown}
	step := *sc
	set := s.Settings
	err := step.ApplyStep(scenarios.Step{From: prev, Level: level, Ramp: set.Ramp, Hold: set.Hold, Exclude: set.Exclude})
	if err != nil {
		st.Error = err.Error()
		return st
	}
	if step.Load.Model == scenarios.ModelClosed {
		level = step.FinalLevel()
		st.Level = level
	}
	name := fmt.Sprintf("step-%02d-%s", i+1, strings.ReplaceAll(FormatLevel(level), ".", "_"))
	fmt.Fprintf(log, "capacity: step %d at %s\n", i+1, FormatLevel(level))
	runDir, out, err := s.Step(ctx, &step, filepath.Join(dir, name))
	if err != nil {
		st.Error = err.Error()
		return st
	}
	st.Dir = name
	st.Verdict, st.Gates = out.Verdict, out.Gates
	run, err := record.ReadRun(runDir)
	if err != nil {
		st.Verdict, st.Error = record.VerdictUnknown, err.Error()
		return st
	}
	// The successful requests' latency, as the gates read it; none
	// succeeded: 0, and the gates made the step unknown.
	ok, _ := run.Overall.LatencyOf(record.OK)
	st.P95US, st.P99US = ok.P95, ok.P99
	st.ErrorRate = run.Overall.ErrorRate
	st.TargetRate, st.AchievedRate = run.Overall.Rate.Target, run.Overall.Rate.Achieved
	st.Series = run.Server.Series
	st.Warnings = run.Warnings
	if run.Status != record.StatusCompleted && st.Error == "" && len(out.Reasons) > 0 {
		st.Error = out.Reasons[len(out.Reasons)-1]
	}
	return st
}

// Answer is the one-line answer, e.g. "capacity: 420 users at p95 < 3s,
// error_rate < 1% (steady, profile optimized); knee at 630 users: …". It
// is one line whatever the target said: what it quotes (the target's
// profile, a step's error) is escaped by redact.Terminal.
func Answer(c *record.Capacity) string {
	return redact.Terminal(answer(c))
}

func answer(c *record.Capacity) string {
	held := strings.Join(c.Gates, ", ")
	if held == "" {
		held = "no gates"
	}
	who := c.Scenario
	if c.Profile != "" {
		who += ", profile " + c.Profile
	}
	if !c.Found {
		return fmt.Sprintf("capacity: none found — even the first level %s did not hold %s (%s); %s", c.FormatLevel(c.Steps[0].Level), held, who, WhyNot(c.Steps[0]))
	}
	s := fmt.Sprintf("capacity: %s at %s (%s)", c.FormatLevel(c.Capacity), held, who)
	if last := c.Steps[len(c.Steps)-1]; last.Error == "interrupted" {
		s += "; interrupted at " + c.FormatLevel(last.Level) + ": it is at least that"
	} else if c.Knee != 0 {
		s += fmt.Sprintf("; knee at %s: %s", c.FormatLevel(c.Knee), WhyNot(c.Steps[len(c.Steps)-1]))
	} else {
		s += "; every level tried held: it is at least that"
	}
	return s
}

// WhyNot says which gates a step did not hold, with their values.
func WhyNot(st record.CapacityStep) string {
	var why []string
	for _, g := range st.Gates {
		if g.Verdict == record.VerdictPass {
			continue
		}
		w := g.Expr + " " + g.Verdict
		if g.Value != nil {
			w += " (" + record.Format(*g.Value, g.Unit) + ")"
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

// FormatLevel writes a level without a needless fraction: 8, 12.5.
func FormatLevel(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.2f", v)
}
