package leftovers

import (
	"os/exec"
	"syscall"
)

// deathSignal gives cmd a parent-death signal, SIGKILL unless it has one.
func deathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if cmd.SysProcAttr.Pdeathsig == 0 {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
}
