package faults

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/loadgate/loadgate/scenarios"
)

// execAction runs the user's commands: run to inject, undo (if any) to
// undo. Argv lists, no shell; each command within its timeout.
//
// What it says of a command (its errors, which reach stderr, run.json and
// the report) shows the command as f.ShownRun/ShownUndo do and its output
// through f.Conceal: no value from the environment, no password of a URL,
// no value of a secret-looking flag.
type execAction struct {
	f       scenarios.Fault
	dir     string
	timeout scenarios.Duration
}

func newExec(dir string, f scenarios.Fault) (*execAction, error) {
	a := &execAction{f: f, dir: dir, timeout: f.Timeout}
	if a.timeout <= 0 {
		a.timeout = scenarios.Duration(scenarios.DefaultExecTimeout)
	}
	for _, argv := range [][]string{f.Run, f.Undo} {
		if len(argv) == 0 {
			continue
		}
		if _, err := scenarios.ResolveCommand(dir, argv[0]); err != nil {
			return nil, errors.New(f.Conceal(err.Error()))
		}
	}
	return a, nil
}

func (a *execAction) Inject(ctx context.Context) error {
	return a.do(ctx, a.f.Run, a.f.ShownRun())
}

func (a *execAction) Undo(ctx context.Context) error {
	if len(a.f.Undo) == 0 {
		return nil
	}
	return a.do(ctx, a.f.Undo, a.f.ShownUndo())
}

// do runs argv; its errors name it as shown.
func (a *execAction) do(ctx context.Context, argv, shown []string) error {
	line := strings.Join(shown, " ")
	prog, err := scenarios.ResolveCommand(a.dir, argv[0])
	if err != nil {
		return errors.New(a.f.Conceal(err.Error()))
	}
	ctx, cancel := context.WithTimeout(ctx, a.timeout.D())
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, argv[1:]...)
	cmd.WaitDelay = a.timeout.D() / 10
	out, err := cmd.CombinedOutput()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("%s: no exit within %s", line, a.timeout)
	}
	if err != nil {
		// Concealed before it is cut: a cut could leave half a secret
		// that no longer matches. The error is not wrapped: its text
		// names the program's path, which may hold a value from the
		// environment.
		msg := a.f.Conceal(strings.TrimSpace(string(out)))
		if len(msg) > 500 {
			msg = msg[len(msg)-500:]
		}
		return fmt.Errorf("%s: %s: %s", line, a.f.Conceal(err.Error()), msg)
	}
	return nil
}
