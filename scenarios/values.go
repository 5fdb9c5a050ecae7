package scenarios

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as Go writes them ("30s", "5m", "1h30m").
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration the way it is written.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML parses a duration scalar.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("want a duration such as 30s or 5m")
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as text.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ParseDuration parses "30s", "5m", "1h30m"; a bare 0 is zero. Negative
// durations are rejected.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: want a number with a unit, such as 30s, 5m or 1h", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("bad duration %q: negative", s)
	}
	return v, nil
}

// Ramp is a level that is constant ("50/s", "100") or moves linearly over
// its stage ("0 -> 50/s", "100 -> 10"). Rates are normalised to per second.
type Ramp struct {
	From, To float64
	// Set reports whether the field was written at all.
	Set bool
	// PerUnit reports whether a "/s", "/m" or "/h" unit was written.
	PerUnit bool
}

// Constant reports whether the ramp holds one level.
func (r Ramp) Constant() bool { return r.From == r.To }

// String formats the ramp as it would be written (per second).
func (r Ramp) String() string {
	unit := ""
	if r.PerUnit {
		unit = "/s"
	}
	if r.Constant() {
		return formatNumber(r.To) + unit
	}
	return formatNumber(r.From) + " -> " + formatNumber(r.To) + unit
}

// UnmarshalYAML parses a ramp scalar.
func (r *Ramp) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New(`want a level such as "50/s" or a ramp such as "0 -> 50/s"`)
	}
	v, err := ParseRamp(n.Value)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalYAML writes the ramp as text.
func (r Ramp) MarshalYAML() (any, error) { return r.String(), nil }

// ParseRamp parses "50", "50/s", "3000/m", "0 -> 50/s" or "0->100". A unit
// written once at the end applies to both ends.
func ParseRamp(s string) (Ramp, error) {
	text := strings.TrimSpace(s)
	from, to, isRamp := strings.Cut(text, "->")
	if !isRamp {
		to = from
	}
	r := Ramp{Set: true}
	toV, toPer, err := parseLevel(to)
	if err != nil {
		return Ramp{}, fmt.Errorf("bad level %q: %w", s, err)
	}
	fromV, fromPer := toV, toPer
	if isRamp {
		fromV, fromPer, err = parseLevel(from)
		if err != nil {
			return Ramp{}, fmt.Errorf("bad level %q: %w", s, err)
		}
		if fromPer == 0 {
			fromPer = toPer
		}
		if toPer == 0 {
			toPer = fromPer
		}
	}
	r.PerUnit = toPer != 0
	r.From = perSecond(fromV, fromPer)
	r.To = perSecond(toV, toPer)
	return r, nil
}

func perSecond(v float64, per time.Duration) float64 {
	if per == 0 {
		return v
	}
	return v / per.Seconds()
}

// parseLevel parses "50" or "50/s"; per is 0 without a unit.
func parseLevel(s string) (v float64, per time.Duration, err error) {
	s = strings.TrimSpace(s)
	num, unit, hasUnit := strings.Cut(s, "/")
	if hasUnit {
		switch strings.TrimSpace(unit) {
		case "s", "sec", "second":
			per = time.Second
		case "m", "min", "minute":
			per = time.Minute
		case "h", "hour":
			per = time.Hour
		default:
			return 0, 0, fmt.Errorf("unknown unit %q (want /s, /m or /h)", unit)
		}
	}
	v, err = strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, 0, errors.New(`want a number, optionally per unit, such as 50/s, or a ramp such as "0 -> 50/s"`)
	}
	if v < 0 {
		return 0, 0, errors.New("negative")
	}
	return v, per, nil
}

func formatNumber(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}
