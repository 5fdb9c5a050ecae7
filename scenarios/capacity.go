package scenarios

import (
	"fmt"
	"math"
	"time"
)

// Step is one level of a capacity search: the scenario rewritten to hold
// Level (requests/s in the open model, users in the closed model) after a
// ramp from From, with the ramp and the first Exclude of the hold left out of
// every statistic.
type Step struct {
	// From is the level the ramp starts at (the previous step's level; 0
	// for the first step).
	From float64
	// Level is the constant level held.
	Level float64
	// Ramp is the linear ramp from From to Level; 0 for none.
	Ramp time.Duration
	// Hold is how long Level is held, Exclude included.
	Hold time.Duration
	// Exclude is the first part of the hold not measured (the target settles).
	Exclude time.Duration
}

// FinalLevel is the level the scenario ends at: the last stage's rate (open
// model) or users (closed model). It is what a capacity search's defaults
// are derived from.
func (s *Scenario) FinalLevel() float64 {
	if len(s.Load.Stages) == 0 {
		return 0
	}
	return s.Load.Level(s.Load.Stages[len(s.Load.Stages)-1]).To
}

// ApplyStep replaces the scenario's stages and warm-up by one capacity step
// and validates the result. Closed-model levels are rounded to whole users.
func (s *Scenario) ApplyStep(st Step) error {
	if st.Level <= 0 || math.IsNaN(st.Level) || math.IsInf(st.Level, 0) {
		return fmt.Errorf("capacity step level %v: must be a positive number", st.Level)
	}
	if st.From < 0 {
		return fmt.Errorf("capacity step: ramp start %v must not be negative", st.From)
	}
	if st.Ramp < 0 || st.Exclude < 0 {
		return fmt.Errorf("capacity step: ramp %s and exclude %s must not be negative", st.Ramp, st.Exclude)
	}
	if st.Hold <= st.Exclude {
		return fmt.Errorf("capacity step: hold %s must be longer than the excluded %s", st.Hold, st.Exclude)
	}
	from, level := st.From, st.Level
	if s.Load.Model == ModelClosed {
		from, level = math.Round(from), math.Max(1, math.Round(level))
	}
	ramp := func(a, b float64) Ramp { return Ramp{From: a, To: b, Set: true, PerUnit: s.Load.Model == ModelOpen} }
	stage := func(d time.Duration, a, b float64) Stage {
		if s.Load.Model == ModelClosed {
			return Stage{Duration: Duration(d), Users: ramp(a, b)}
		}
		return Stage{Duration: Duration(d), Rate: ramp(a, b)}
	}
	var stages []Stage
	if st.Ramp > 0 {
		stages = append(stages, stage(st.Ramp, from, level))
	}
	stages = append(stages, stage(st.Hold, level, level))
	s.Load.Stages = stages
	s.Load.Warmup = Duration(st.Ramp + st.Exclude)
	return s.Validate()
}
