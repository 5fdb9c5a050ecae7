package faults

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"github.com/loadgate/loadgate/leftovers"
	"github.com/loadgate/loadgate/scenarios"
)

// execAction runs the user's commands: run to inject, undo (if any) to
// undo. Argv lists, no shell; each command within its timeout.
//
// Each command runs in a process group of its own, forked through
// leftovers.Start (it dies with loadgate, even a SIGKILLed one). At its
// timeout the whole group is killed, not only the command; what the command
// leaves running in its group when it exits (a process it put in the
// background) is recorded in the ledger, which kills it when loadgate exits
// (leftovers.Ledger.Close). A process that must outlive loadgate has to
// leave the group (setsid, or a daemon's own detaching).
//
// What it says of a command (its errors, which reach stderr, run.json and
// the report) shows the command as f.ShownRun/ShownUndo do and its output
// through f.Conceal: no value from the environment, no password of a URL,
// no value of a secret-looking flag.
type execAction struct {
	f       scenarios.Fault
	dir     string
	timeout scenarios.Duration
	ledger  *leftovers.Ledger
}

func newExec(dir string, f scenarios.Fault, ledger *leftovers.Ledger) (*execAction, error) {
	a := &execAction{f: f, dir: dir, timeout: f.Timeout, ledger: ledger}
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

// handUndo is the undo command, as it may be shown (secrets masked).
func (a *execAction) handUndo() string {
	if len(a.f.Undo) == 0 {
		return ""
	}
	return shellLine(a.f.ShownUndo())
}

// maxOutput bounds the output kept of a command: its end, which an error
// quotes the last 500 bytes of.
const maxOutput = 64 << 10

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
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = a.timeout.D() / 10
	out := &tail{max: maxOutput}
	cmd.Stdout, cmd.Stderr = out, out
	if err := leftovers.Start(cmd); err != nil {
		return fmt.Errorf("%s: %s", line, a.f.Conceal(err.Error()))
	}
	exited := a.ledger.Process(fmt.Sprintf("the processes of fault %s's command", a.f.Label()), cmd.Process.Pid, true)
	err = cmd.Wait()
	if ctx.Err() == context.DeadlineExceeded {
		_ = killGroup(cmd.Process.Pid) // also what it started after Cancel
		exited()
		return fmt.Errorf("%s: no exit within %s", line, a.timeout)
	}
	exited()
	if err != nil {
		// Concealed before it is cut: a cut could leave half a secret
		// that no longer matches. The error is not wrapped: its text
		// names the program's path, which may hold a value from the
		// environment.
		msg := a.f.Conceal(strings.TrimSpace(out.String()))
		if len(msg) > 500 {
			msg = msg[len(msg)-500:]
		}
		return fmt.Errorf("%s: %s: %s", line, a.f.Conceal(err.Error()), msg)
	}
	return nil
}

// killGroup kills process group pgid.
func killGroup(pgid int) error { return syscall.Kill(-pgid, syscall.SIGKILL) }

// tail keeps the last max bytes written to it (about: it drops the older
// half when full).
type tail struct {
	max int

	mu  sync.Mutex // guards buf: the command's stdout and stderr share it
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max/2:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// shellLine is argv as a line a POSIX shell reads back as argv.
func shellLine(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
