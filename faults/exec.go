package faults

import (
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/loadgate/loadgate/scenarios"
)

// execAction runs the user's commands: run to inject, undo (if any) to
// undo. Argv lists, no shell; each command within its timeout.
type execAction struct {
	run, undo []string
	dir       string
	timeout   scenarios.Duration
}

func newExec(dir string, f scenarios.Fault) (*execAction, error) {
	a := &execAction{run: f.Run, undo: f.Undo, dir: dir, timeout: f.Timeout}
	if a.timeout <= 0 {
		a.timeout = scenarios.Duration(scenarios.DefaultExecTimeout)
	}
	for _, argv := range [][]string{f.Run, f.Undo} {
		if len(argv) == 0 {
			continue
		}
		if _, err := scenarios.ResolveCommand(dir, argv[0]); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (a *execAction) Inject(ctx context.Context) error { return a.do(ctx, a.run) }

func (a *execAction) Undo(ctx context.Context) error {
	if len(a.undo) == 0 {
		return nil
	}
	return a.do(ctx, a.undo)
}

func (a *execAction) do(ctx context.Context, argv []string) error {
	prog, err := scenarios.ResolveCommand(a.dir, argv[0])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, a.timeout.D())
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, argv[1:]...)
	cmd.WaitDelay = a.timeout.D() / 10
	out, err := cmd.CombinedOutput()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("%s: no exit within %s", strings.Join(argv, " "), a.timeout)
	}
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 500 {
			msg = msg[len(msg)-500:]
		}
		return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, msg)
	}
	return nil
}
