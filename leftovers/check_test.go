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

// deadLoadgate is a loadgate process that is gone: a process that ran and
// was reaped (its start time cannot match a later one given its pid).
func deadLoadgate(t *testing.T) Proc {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return Proc{PID: cmd.Process.Pid, Started: 1}
}

// plant writes an entry as a loadgate process would have.
func plant(t *testing.T, dir, name string, e Entry) string {
	t.Helper()
	if e.Since.IsZero() {
		e.Since = time.Now()
	}
	p := filepath.Join(dir, name)
	if err := writeEntry(dir, p, e); err != nil {
		t.Fatal(err)
	}
	return p
}

// Check reports what a killed loadgate left: a drill still marked as on
// (once, then its record goes) and a process still running (at every start
// while it runs; its record goes once it is gone). A running loadgate's
// records are left alone, a process that is gone is forgotten quietly, and
// an unreadable record is reported and removed.
func TestCheck(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	dead := deadLoadgate(t)
	s := sleeper(t) // a target the killed loadgate started, still running
	drill := plant(t, dir, "1-1.json", Entry{What: "fault pg_down (pg_stop)", Undo: "pg_ctl -D /data start", Loadgate: dead})
	started, _ := procStarted(s.Process.Pid)
	target := plant(t, dir, "1-2.json", Entry{What: "the reference target on 127.0.0.1:8080", Undo: "kill " + strconv.Itoa(s.Process.Pid),
		PID: s.Process.Pid, Started: started, Loadgate: dead})
	gone := plant(t, dir, "1-3.json", Entry{What: "the process group of fault f's command", Undo: "kill -- -" + strconv.Itoa(dead.PID),
		PID: dead.PID, Group: true, Loadgate: dead})
	live := plant(t, dir, "2-1.json", Entry{What: "fault other (exec)", Undo: "x", Loadgate: self()})
	bad := filepath.Join(dir, "3-1.json")
	if err := os.WriteFile(bad, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}

	var w bytes.Buffer
	if err := Check(&w, dir); err != nil {
		t.Fatal(err)
	}
	out := w.String()
	for _, want := range []string{
		"left fault pg_down (pg_stop) on; undo it by hand: pg_ctl -D /data start",
		"left the reference target on 127.0.0.1:8080 running (pid " + strconv.Itoa(s.Process.Pid) + "); end it with: kill " + strconv.Itoa(s.Process.Pid),
		"(pid " + strconv.Itoa(dead.PID) + ", ",
		"3-1.json unreadable, removed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Check does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "fault f's command") || strings.Contains(out, "fault other") {
		t.Errorf("Check reported a process that is gone or a running loadgate's drill:\n%s", out)
	}
	for _, c := range []struct {
		path string
		kept bool
	}{{drill, false}, {target, true}, {gone, false}, {live, true}, {bad, false}} {
		if _, err := os.Stat(c.path); (err == nil) != c.kept {
			t.Errorf("%s: kept %v, want %v", filepath.Base(c.path), err == nil, c.kept)
		}
	}

	// Again: the target is reported again while it runs, and forgotten once gone.
	w.Reset()
	if err := Check(&w, dir); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.String(), "the reference target") || strings.Contains(w.String(), "pg_down") {
		t.Errorf("second Check:\n%s", w.String())
	}
	_ = syscall.Kill(-s.Process.Pid, syscall.SIGKILL)
	waitGone(t, s.Process.Pid, 10*time.Second)
	w.Reset()
	if err := Check(&w, dir); err != nil {
		t.Fatal(err)
	}
	if w.Len() != 0 {
		t.Errorf("Check after the target is gone:\n%s", w.String())
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("the gone target's record is kept: %v", err)
	}
}

// A missing state directory is nothing to report; one that others may write
// is not trusted.
func TestCheckDirectory(t *testing.T) {
	t.Parallel()
	if err := Check(&bytes.Buffer{}, filepath.Join(t.TempDir(), "none")); err != nil {
		t.Errorf("missing directory: %v", err)
	}
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := Check(&bytes.Buffer{}, open); err == nil || !strings.Contains(err.Error(), "writable by others") {
		t.Errorf("world-writable directory: %v", err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Fatal(err)
	}
	if err := Open(link).writeTo(); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a link as state directory: %v", err)
	}
}

// writeTo records one drill and returns the write error Close would report.
func (l *Ledger) writeTo() error {
	l.Drill("d", "u")
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) == 0 {
		return nil
	}
	return l.errs[0]
}

// Dir: the variable, else the user's runtime directory, else a directory of
// the user's under the temporary directory.
func TestDir(t *testing.T) {
	t.Parallel()
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if got, want := Dir(getenv), filepath.Join(os.TempDir(), "loadgate-"+strconv.Itoa(os.Geteuid())); got != want {
		t.Errorf("default %s, want %s", got, want)
	}
	env["XDG_RUNTIME_DIR"] = "/run/user/1000"
	if got := Dir(getenv); got != "/run/user/1000/loadgate" {
		t.Errorf("XDG_RUNTIME_DIR: %s", got)
	}
	env[EnvStateDir] = "/x/state"
	if got := Dir(getenv); got != "/x/state" {
		t.Errorf("%s: %s", EnvStateDir, got)
	}
}
