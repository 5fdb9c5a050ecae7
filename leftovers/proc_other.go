//go:build !linux

package leftovers

import (
	"errors"
	"syscall"
)

// procStarted reports whether process pid exists; its start time is not
// known here (0), so a reused pid is taken for the process.
func procStarted(pid int) (uint64, bool) {
	err := syscall.Kill(pid, 0)
	return 0, err == nil || errors.Is(err, syscall.EPERM)
}

// groupAlive reports whether process group pgid has a process.
func groupAlive(pgid int) bool {
	err := syscall.Kill(-pgid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
