package services

import "syscall"

// childAttr puts a server or the target in its own process group (a
// terminal's Ctrl-C reaches loadgate, which then stops it in order) and asks
// the kernel to end it (SIGTERM: its clean stop) if loadgate dies without
// stopping it. Start it with leftovers.Start, which forks from a thread that
// lives as long as loadgate (the signal follows the forking thread).
func childAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM, Credential: cred}
}
