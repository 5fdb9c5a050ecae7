package record

import (
	"fmt"
	"time"
)

// CapacityFile is the capacity search's result, in the search's directory.
const CapacityFile = "capacity.json"

// Capacity is the content of capacity.json: a capacity search's steps and
// its answer. `loadgate run --find-capacity` writes it after every step
// (trial/capacity), and report.RenderCapacity draws it.
type Capacity struct {
	Schema   int       `json:"schema"`
	Scenario string    `json:"scenario"`
	Target   string    `json:"target"`
	Profile  string    `json:"profile,omitempty"`
	Model    string    `json:"model"` // "open" (levels are requests/s) or "closed" (users)
	Started  time.Time `json:"started"`
	Ended    time.Time `json:"ended"`
	// Gates are the expressions every step was judged by.
	Gates []string `json:"gates"`
	// Search is how the levels were chosen and held.
	Search CapacitySearch `json:"search"`
	// Series are the scenario's named series (Plan.Series), whose values
	// each step records.
	Series []Series       `json:"series,omitempty"`
	Steps  []CapacityStep `json:"steps"`
	// Found says whether some level held every gate; Capacity is the last
	// such level (0 when none).
	Found    bool    `json:"found"`
	Capacity float64 `json:"capacity"`
	// Knee is the first level where a gate failed, or could not be
	// evaluated; 0 when every level tried held (the capacity is at least
	// the highest level).
	Knee float64 `json:"knee"`
	// Stopped says in words why the search ended.
	Stopped string `json:"stopped"`
}

// CapacitySearch records the search's parameters.
type CapacitySearch struct {
	Start     float64 `json:"start"`
	Factor    float64 `json:"factor,omitempty"`
	Increment float64 `json:"increment,omitempty"`
	Max       float64 `json:"max"`
	HoldS     float64 `json:"hold_s"`
	RampS     float64 `json:"ramp_s"`
	ExcludeS  float64 `json:"exclude_s"`
}

// CapacityStep is one level held, as measured after its ramp and excluded
// seconds.
type CapacityStep struct {
	Level float64 `json:"level"`
	// Dir is the step's run directory, relative to the search's directory.
	Dir          string  `json:"dir,omitempty"`
	P95US        float64 `json:"p95_us"`
	P99US        float64 `json:"p99_us"`
	ErrorRate    float64 `json:"error_rate"`
	TargetRate   float64 `json:"target_rate"`
	AchievedRate float64 `json:"achieved_rate"`
	// Series are the step's named series over its measured window
	// (Server.Series), by name.
	Series  map[string]float64 `json:"series,omitempty"`
	Verdict string             `json:"verdict"`
	Gates   []Gate             `json:"gates"`
	// Error is why the step could not be run or judged, if it could not.
	Error string `json:"error,omitempty"`
	// Warnings are the step run's warnings (a generator that fell behind
	// measured itself, not the target).
	Warnings []string `json:"warnings,omitempty"`
}

// Unit is the word for a level: "users" or "req/s".
func (c *Capacity) Unit() string {
	if c.Model == "closed" {
		return "users"
	}
	return "req/s"
}

// FormatLevel formats a level with its unit, e.g. "420 users".
func (c *Capacity) FormatLevel(v float64) string {
	return fmt.Sprintf("%s %s", trimFloat(v), c.Unit())
}

func trimFloat(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}

// StepWords says how a level follows the last: "+10 users a step", "×1.5 a step".
func (c *Capacity) StepWords() string {
	if c.Search.Increment > 0 {
		return "+" + c.FormatLevel(c.Search.Increment) + " a step"
	}
	return fmt.Sprintf("×%s a step", trimFloat(c.Search.Factor))
}
