//go:build !linux

package leftovers

import "os/exec"

// deathSignal does nothing: only Linux has a parent-death signal. There,
// a SIGKILLed loadgate leaves its children running; Check reports them at
// the next start.
func deathSignal(*exec.Cmd) {}
