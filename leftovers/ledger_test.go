package leftovers

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// entries reads the entry files of dir.
func entries(t *testing.T, dir string) []Entry {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []Entry
	for _, p := range paths {
		e, err := readEntry(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// sleeper starts `sleep 1000` in a process group of its own (not through
// Start: the tests kill it themselves) and reaps it when it ends.
func sleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	return cmd
}

// The ledger writes what outlives loadgate (a drill with a hand undo, a
// process) into its directory and removes it when off; a drill on
// loadgate's own things stays in memory. On lists all, oldest first.
func TestLedgerRecords(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	l := Open(dir)
	pgOff := l.Drill("fault pg_down (pg_stop)", "pg_ctl -D /data start")
	ownOff := l.Drill("fault redis_down (redis_stop)", "")
	s := sleeper(t)
	gone := l.Process("the process group of fault f's command", s.Process.Pid, true)

	if got := entries(t, dir); len(got) != 2 {
		t.Fatalf("%d entry files, want 2 (the drill with a hand undo and the process): %+v", len(got), got)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("state directory: %v, %v", st.Mode(), err)
	}
	on := l.On()
	if len(on) != 3 || on[0].What != "fault pg_down (pg_stop)" || on[2].Undo != "kill -- -"+strconv.Itoa(s.Process.Pid) || !on[2].Group {
		t.Errorf("On: %+v", on)
	}
	if on[0].Loadgate.PID != os.Getpid() || on[2].Started == 0 {
		t.Errorf("owner or start time not recorded: %+v", on)
	}
	pgOff()
	pgOff() // twice is harmless
	ownOff()
	gone() // the group's sleep runs: it stays, for Close to kill
	if got := entries(t, dir); len(got) != 1 || !got[0].Group {
		t.Errorf("entries after a drill is off, its group still running: %+v", got)
	}
	_ = syscall.Kill(-s.Process.Pid, syscall.SIGKILL)
	waitGone(t, s.Process.Pid, 10*time.Second)
	gone()
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("entries left after all were off: %+v", got)
	}
	if on := l.On(); len(on) != 0 {
		t.Errorf("On after all were off: %+v", on)
	}
	var nilLedger *Ledger
	nilLedger.Drill("x", "y")()
	nilLedger.Close(&bytes.Buffer{})
}

// Close, at loadgate's exit, kills the process groups still recorded (an
// exec command's leftover: its sleep goes too) and says what is left on
// with how to undo it by hand; that entry stays for Check.
func TestLedgerClose(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	l := Open(dir)
	l.Drill("fault pg_down (pg_stop)", "pg_ctl -D /data start")
	l.Drill("fault slow (latency)", "")
	s := sleeper(t)
	l.Process("the process group of fault f's command", s.Process.Pid, true)
	var w bytes.Buffer
	l.Close(&w)
	waitGone(t, s.Process.Pid, 10*time.Second)
	if got, want := w.String(), "loadgate: left on; undo by hand:\n  fault pg_down (pg_stop): pg_ctl -D /data start\n"; got != want {
		t.Errorf("Close said %q, want %q", got, want)
	}
	if got := entries(t, dir); len(got) != 1 || got[0].What != "fault pg_down (pg_stop)" {
		t.Errorf("entries after Close: %+v", got)
	}
}

// A state directory that cannot be written does not stop the run; Close says so.
func TestLedgerUnwritable(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l := Open(filepath.Join(file, "state"))
	off := l.Drill("fault pg_down (pg_stop)", "pg_ctl -D /data start")
	if len(l.On()) != 1 {
		t.Error("the drill was not held in memory")
	}
	off()
	var w bytes.Buffer
	l.Close(&w)
	if !strings.Contains(w.String(), "state directory was not written") {
		t.Errorf("Close said %q", w.String())
	}
}
