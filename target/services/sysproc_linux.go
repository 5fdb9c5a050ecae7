package services

import "syscall"

// childAttr puts a server in its own process group (a terminal's Ctrl-C
// reaches loadgate, which then stops it in order) and asks the kernel to end it
// if loadgate dies without stopping it.
func childAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM, Credential: cred}
}
