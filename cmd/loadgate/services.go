package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"

	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/target/services"
)

// cmdServices finds or starts PostgreSQL and Redis, runs a command with
// DATABASE_URL and REDIS_URL pointing at them, then stops what it started.
// It is how `make test` and `make serve` work on a machine with no services.
func cmdServices(ctx context.Context, e env, args []string) error {
	fs := newFlags("services", "-- COMMAND [ARG…]", "Finds PostgreSQL and Redis (DATABASE_URL, REDIS_URL, else the standard local ports),\n"+
		"starts throwaway ones from the machine's binaries when none answer, runs COMMAND\n"+
		"with DATABASE_URL and REDIS_URL set, stops what it started and exits with COMMAND's\n"+
		"exit code. What 'make test' and 'make serve' use.")
	fs.inOrder = true
	noThrowaway := fs.Bool("no-throwaway", false, "fail instead of starting servers of its own")
	if err := fs.parse(e, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fs.argsError("services: no command given")
	}
	opts := []services.Option{services.WithLogger(slog.New(slog.NewTextHandler(e.stderr, nil)))}
	if *noThrowaway {
		opts = append(opts, services.WithoutThrowaway())
	}
	stack, err := services.Ensure(ctx, opts...)
	if err != nil {
		return err
	}
	defer stack.Stop()

	cmd := exec.CommandContext(ctx, fs.Arg(0), fs.Args()[1:]...)
	// The command is the user's own: its output is passed on as it is.
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, redact.Unescaped(e.stdout), redact.Unescaped(e.stderr)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+stack.DatabaseURL, "REDIS_URL="+stack.RedisURL)
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		// The command has said what went wrong; pass its code on.
		return &exitCodeError{code: exit.ExitCode(), err: fmt.Errorf("%s exited with code %d", fs.Arg(0), exit.ExitCode())}
	}
	return err
}

// usageError marks a command-line mistake (exit 2). flag.ErrHelp is not one.
func usageError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return &exitCodeError{code: exitOK, err: err}
	}
	return &exitCodeError{code: exitError, err: err}
}
