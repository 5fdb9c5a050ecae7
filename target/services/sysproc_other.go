//go:build !linux

package services

import "syscall"

// childAttr puts a server in its own process group, so that a terminal's
// Ctrl-C reaches loadgate, which then stops it in order.
func childAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: cred}
}
