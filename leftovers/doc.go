// Package leftovers keeps a loadgate run from leaving things behind, however
// it ends, and finds what a killed one left.
//
//   - Start starts a child process that dies with loadgate (a parent-death
//     signal on Linux, given from a thread that lives as long as loadgate).
//   - A Ledger holds what the run has turned on that would outlive it: the
//     drills injected and not undone, each with a one-line instruction to
//     undo it by hand, and the processes (and process groups) it started.
//     It writes each entry as a small JSON file into a state directory
//     (Dir) and removes it when the thing is off. Watch escalates interrupts
//     against it; Close, at loadgate's exit, kills what is left running and
//     says what is left on.
//   - Check, at the start of a run, reports the entries of loadgate
//     processes that died without removing them.
//
// It is not a supervisor: nothing here restarts or undoes anything by
// itself; the drills undo themselves (package faults) and the services
// stop themselves (target/services). It only knows what is on.
package leftovers
