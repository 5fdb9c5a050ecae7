// Package faults holds loadgate's fault drills: the actions a scenario's
// `faults:` name (scenarios.Fault), each behind one small interface, Action
// (Inject, Undo). The owner of a run (package trial) builds them and hands
// them to the runner, which schedules them ("at t, inject; after d, undo")
// and records them; it knows nothing of what they do, and they know
// nothing of it.
//
// The built-in actions touch only what loadgate started or was given, on
// loopback: the throwaway PostgreSQL and Redis of target/services (or a
// PostgreSQL given by its data directory, LOADGATE_PG_DATA; or a Redis or
// PostgreSQL the user allows drills on, LOADGATE_ALLOW_DRILLS), the target
// process `loadgate scenario` started, the target's own database, and an
// in-process TCP proxy (Shopify's toxiproxy as a library) placed between
// the target and PostgreSQL or Redis for network faults. exec runs the
// user's commands as argv lists, without a shell, each with a timeout, in
// a process group that dies with loadgate. Given a leftovers.Ledger, each
// drill is recorded while it is on, with how to undo it by hand.
// Stack is that setting under `loadgate scenario` (the proxies placed, the
// drills built against it). The check that no acknowledged write was lost
// is the reference target's own (target/writes).
//
// It is not a chaos tool: there is no discovery, no random selection, and
// nothing acts on a server loadgate did not start unless the user named it.
package faults
