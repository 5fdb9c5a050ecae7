package main

import (
	"errors"
	"fmt"

	"github.com/loadgate/loadgate/trial/capacity"
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
	"goodput": "--capacity-goodput",
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
	f.Float64Var(&c.set.Goodput, "capacity-goodput", 0, "judge each level also by goodput >= this share (0.9: 90 %; needs the scenario's slo)")
	f.group("capacity search (--find-capacity; the other flags need it; writes results/<time>-<scenario>-capacity/)",
		"find-capacity", "capacity-start", "capacity-factor", "capacity-increment", "capacity-max",
		"step-hold", "step-ramp", "step-exclude", "capacity-goodput")
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
