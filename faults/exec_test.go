package faults

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadgate/loadgate/leftovers"
)

// pidIn waits for the pid a command writes into path.
func pidIn(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// running reports whether process pid runs (a zombie does not).
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}

// waitGone waits until pid no longer runs, or fails after d.
func waitGone(t *testing.T, pid int, d time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for running(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) still runs after %s", what, pid, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An exec command that hits its timeout is killed with its whole process
// group: the sleep it put in the background goes too (issue 19: it stayed,
// with parent 1).
func TestExecTimeoutKillsGroup(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	a := drill(t, fmt.Sprintf(`{at: 1s, action: exec, run: [sh, -c, 'sleep 1001 & echo $! > %s; wait'], timeout: 500ms}`, pidFile), Env{})
	err := a.Inject(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no exit within 500ms") {
		t.Errorf("timeout: %v", err)
	}
	pid := pidIn(t, pidFile)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	waitGone(t, pid, 10*time.Second, "the command's background sleep")
}

// What an exec command leaves running in its process group when it exits
// (a sleep it put in the background) runs until loadgate exits: then the
// ledger's Close kills it.
func TestExecLeftoversKilledAtExit(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	l := leftovers.Open(t.TempDir())
	a := drill(t, fmt.Sprintf(`{at: 1s, action: exec, run: [sh, -c, 'sleep 1001 >/dev/null 2>&1 & echo $! > %s']}`, pidFile), Env{Ledger: l})
	if err := a.Inject(context.Background()); err != nil {
		t.Fatal(err)
	}
	pid := pidIn(t, pidFile)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if !running(pid) {
		t.Fatal("the background sleep is gone before loadgate's exit")
	}
	on := l.On()
	if len(on) != 1 || !on[0].Group || !strings.Contains(on[0].What, "fault exec@1s's command") {
		t.Errorf("ledger: %+v", on)
	}
	var w bytes.Buffer
	l.Close(&w)
	waitGone(t, pid, 10*time.Second, "the command's background sleep")
	if on := l.On(); len(on) != 0 {
		t.Errorf("ledger after Close: %+v", on)
	}
}

// With a ledger, each drill is recorded from its injection until an undo
// succeeds, with how to undo it by hand; one whose undo failed is still on
// when loadgate exits, and Close says how to undo it (secrets masked).
func TestDrillsTracked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mark := filepath.Join(dir, "undo-fails")
	sc := scenarioWith(t, fmt.Sprintf(`  - {name: ok, at: 1s, for: 5s, action: exec, run: [true], undo: [true]}
  - {name: stuck, at: 1s, for: 5s, action: exec, run: ["true"], undo: [sh, -c, 'test ! -e %s', x, "--password=hunter2"]}
`, mark))
	l := leftovers.Open(filepath.Join(dir, "state"))
	drills, err := Build(sc, Env{Ledger: l})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"ok", "stuck"} {
		if err := drills[name].Inject(ctx); err != nil {
			t.Fatal(err)
		}
	}
	on := l.On()
	if len(on) != 2 || on[0].What != "fault ok (exec)" || on[0].Undo != "true" || on[1].What != "fault stuck (exec)" {
		t.Fatalf("ledger after injecting: %+v", on)
	}
	if err := os.WriteFile(mark, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := drills["ok"].Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := drills["stuck"].Undo(ctx); err == nil {
		t.Fatal("the undo that fails succeeded")
	}
	var w bytes.Buffer
	l.Close(&w)
	want := fmt.Sprintf("loadgate: left on; undo by hand:\n  fault stuck (exec): sh -c 'test ! -e %s' x --password=xxxxx\n", mark)
	if w.String() != want {
		t.Errorf("Close said\n%s\nwant\n%s", w.String(), want)
	}
}
