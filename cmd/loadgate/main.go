// Command loadgate is the single binary of the harness: it runs scenarios
// against an HTTP target, renders and gates their results, and serves the
// reference target. Each subcommand only parses its flags and calls a package;
// main maps errors to exit codes.
//
// Exit codes: 0 success, 1 a gate failed, 2 usage, input or evaluation error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/loadgate/loadgate/leftovers"
	"github.com/loadgate/loadgate/redact"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes, part of the CLI contract.
const (
	exitOK         = 0
	exitGateFailed = 1
	exitError      = 2
)

// exitCodeError carries an exit code other than the default for errors (2).
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string { return e.err.Error() }
func (e *exitCodeError) Unwrap() error { return e.err }

// errGateFailed is returned by commands whose gates did not all pass; the
// gate table has already been printed.
var errGateFailed = &exitCodeError{code: exitGateFailed, err: errors.New("a gate failed")}

// env is what a subcommand may touch of the outside world.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// ledger records what the command turns on that would outlive it
	// (drills, processes); nil records nothing.
	ledger *leftovers.Ledger
}

type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":       {"run the reference target (Health Agent API)", cmdServe},
		"migrate":     {"apply or roll back schema migrations: up | down | status", cmdMigrate},
		"seed":        {"load deterministic synthetic data into the reference target's database", cmdSeed},
		"run":         {"run a scenario (built-in name or YAML file), write results, render the report, gate", cmdRun},
		"scenario":    {"set up services and the reference target, then run a scenario against it (what 'make scenario' calls)", cmdScenario},
		"compare":     {"run a scenario against the reference target in the baseline, then the optimized profile, and render the comparison (what 'make compare' calls)", cmdCompare},
		"report":      {"render report.html, summary.md and junit.xml of a run; several runs make a comparison", cmdReport},
		"gate":        {"print the gate table of a run; exit 0 pass, 1 fail, 2 cannot evaluate", cmdGate},
		"history":     {"the store of past runs: import results directories, list runs, draw a scenario's trend", cmdHistory},
		"bisect":      {"find the commit that slowed an endpoint: git bisect driven by runs of a scenario", cmdBisect},
		"merge":       {"merge the shard runs of one plan into one run (exact), render its report, gate", cmdMerge},
		"services":    {"find or start PostgreSQL and Redis, run a command with DATABASE_URL and REDIS_URL set", cmdServices},
		"version":     {"print the version", cmdVersion},
		"healthcheck": {"GET a URL, succeed on 2xx (the container health check)", cmdHealthcheck},
	}
}

func main() {
	os.Exit(run(os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

// run executes one command line and returns the exit code.
//
// Everything a command prints may quote outside text (a target's status
// text, a metrics endpoint's series, a scenario's field, an error holding
// any of them): stdout and stderr escape what would act on a terminal
// (redact.TerminalWriter) and keep line feeds. The runner's live progress
// line writes its own control sequences to the stream under stderr, and
// `services` gives its command the streams as they are.
func run(args []string, e env) int {
	e.stdout, e.stderr = redact.NewTerminalWriter(e.stdout), redact.NewTerminalWriter(e.stderr)
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stdout, cmds)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	switch args[0] {
	case "--version", "-version", "-v":
		// As `loadgate version`: what users try first.
		args = append([]string{"version"}, args[1:]...)
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "loadgate: unknown command %q\n", args[0])
		usage(e.stderr, cmds)
		return exitError
	}

	// The first SIGINT or SIGTERM cancels ctx: commands stop in order, undo
	// what they turned on and keep what they recorded. A second one says
	// what is still being undone; a third exits at once, saying what is
	// left on (leftovers.Ledger.Watch).
	state := leftovers.Dir(e.getenv)
	e.ledger = leftovers.Open(state)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer func() { signal.Stop(sigs); close(sigs) }()
	go e.ledger.Watch(sigs, e.stderr, cancel, os.Exit)

	if checksLeftovers(args[0]) {
		if err := leftovers.Check(e.stderr, state); err != nil {
			fmt.Fprintf(e.stderr, "loadgate: %v\n", err)
		}
	}
	err := c.run(ctx, e, args[1:])
	e.ledger.Close(e.stderr) // kills what is left running, says what is left on
	return exitCode(err, e.stderr)
}

// checksLeftovers says whether a command starts by reporting what a killed
// loadgate left behind (leftovers.Check): those that start targets and
// inject drills.
func checksLeftovers(cmd string) bool {
	switch cmd {
	case "run", "scenario", "compare":
		return true
	}
	return false
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ce *exitCodeError
	if errors.As(err, &ce) {
		if ce.code == exitOK {
			return exitOK
		}
		if ce != errGateFailed {
			fmt.Fprintf(stderr, "loadgate: %v\n", err)
		}
		if ce.code < 0 { // a child killed by a signal
			return exitError
		}
		return ce.code
	}
	fmt.Fprintf(stderr, "loadgate: %v\n", err)
	return exitError
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	var b strings.Builder
	b.WriteString("loadgate: load tests that gate merges\n\nusage: loadgate <command> [flags]\n\ncommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, n, cmds[n].summary)
	}
	b.WriteString("\n'loadgate <command> -h' lists a command's flags; 'loadgate --version' (or -v) prints the version.\nExit codes: 0 ok, 1 a gate failed, 2 usage, input or evaluation error.\n")
	io.WriteString(w, b.String())
}

func cmdVersion(_ context.Context, e env, args []string) error {
	fs := newFlags("version", "", "Prints loadgate's version (set at build time from git describe).")
	if err := fs.parse(e, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fs.argsError("version: no arguments")
	}
	fmt.Fprintf(e.stdout, "loadgate %s\n", version)
	return nil
}
