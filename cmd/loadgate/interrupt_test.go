package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadgate/loadgate/leftovers"
	"github.com/loadgate/loadgate/record"
)

// interruptScenario is a 60 s run with one exec fault on from 0.5 s; its
// undo is undo (YAML list items).
func interruptScenario(t *testing.T, undo string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(srv.Close)
	return writeScenario(t, fmt.Sprintf(`name: interrupted
target: {base_url: %s, health: none}
load: {stages: [{duration: 60s, rate: 10/s}]}
requests: [{name: a, path: /}]
gates: [error_rate < 50%%]
faults:
  - {name: f, at: 500ms, for: 50s, action: exec, run: ["true"], undo: [%s], timeout: 5m}
`, srv.URL, undo))
}

// started runs loadgate (this test binary) with its state directory in
// state, and returns it with its output and a channel of its exit.
func started(t *testing.T, state string, w *lineWaiter, args ...string) (*exec.Cmd, chan error) {
	t.Helper()
	cmd := cli(t, []string{leftovers.EnvStateDir + "=" + state}, args...)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		exited <- <-exited
	})
	return cmd, exited
}

// await waits until ready (a line seen, a file written), or fails after d.
func await(t *testing.T, what string, d time.Duration, ready func() bool, w *lineWaiter) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ready() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s\n%s", what, d, w)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func exists(path string) func() bool {
	return func() bool { _, err := os.Stat(path); return err == nil }
}

// exitCodeOf waits for the process's exit (up to d) and returns its code.
func exitCodeOf(t *testing.T, exited chan error, d time.Duration, w *lineWaiter) int {
	t.Helper()
	select {
	case err := <-exited:
		exited <- err
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(d):
		t.Fatalf("loadgate did not exit within %s\n%s", d, w)
	}
	return -1
}

// A second interrupt during the undo does not cut it short (issue 19: it
// exited at once, and could leave a user's PostgreSQL stopped and run.json
// running): the undo completes, run.json is aborted, and the exit is the
// aborted run's verdict (it cannot pass: 1, or 2 when inconclusive).
func TestSecondInterruptKeepsTheUndo(t *testing.T) {
	dir := t.TempDir()
	began, done := filepath.Join(dir, "undo-began"), filepath.Join(dir, "undo-done")
	sc := interruptScenario(t, fmt.Sprintf(`sh, -c, 'touch %s; sleep 1.5; touch %s'`, began, done))
	out := filepath.Join(dir, "run")
	w := &lineWaiter{want: []string{"fault f: exec injected"}, seen: make(chan struct{})}
	seen := w.seen
	cmd, exited := started(t, filepath.Join(dir, "state"), w, "run", sc, "--out", out)
	select {
	case <-seen:
	case err := <-exited:
		exited <- err
		t.Fatalf("loadgate exited before the fault was injected: %v\n%s", err, w)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	await(t, "the undo begins", time.Minute, exists(began), w)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	code := exitCodeOf(t, exited, time.Minute, w)
	if gate, _, _ := runCLI(t, "gate", out); code != gate || code == exitOK {
		t.Errorf("exit %d, want the aborted run's verdict as loadgate gate gives it (%d), never a pass\n%s", code, gate, w)
	}
	if _, err := os.Stat(done); err != nil {
		t.Errorf("the undo did not complete: %v\n%s", err, w)
	}
	if !strings.Contains(w.String(), "loadgate: still undoing fault f (exec); waiting") {
		t.Errorf("the second interrupt did not say what it waits for:\n%s", w)
	}
	run, err := record.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != record.StatusAborted || len(run.Faults) != 1 || run.Faults[0].EndS == nil || run.Faults[0].UndoError != "" {
		t.Errorf("run.json: status %s, faults %+v", run.Status, run.Faults)
	}
}

// A third interrupt exits at once (130), kills what the run started (the
// undo command's process group) and says what is left on and how to undo it
// by hand; the next start reports it again.
func TestThirdInterruptExitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	state := filepath.Join(dir, "state")
	sc := interruptScenario(t, fmt.Sprintf(`sh, -c, 'sleep 1000 & echo $! > %s; wait', x, "--token=s3cr3t-token"`, pidFile))
	w := &lineWaiter{want: []string{"fault f: exec injected"}, seen: make(chan struct{})}
	seen := w.seen
	cmd, exited := started(t, state, w, "run", sc, "--out", filepath.Join(dir, "run"))
	select {
	case <-seen:
	case err := <-exited:
		exited <- err
		t.Fatalf("loadgate exited before the fault was injected: %v\n%s", err, w)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	await(t, "the undo begins", time.Minute, exists(pidFile), w)
	b, _ := os.ReadFile(pidFile)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	await(t, "the second interrupt is taken", time.Minute, func() bool { return strings.Contains(w.String(), "still undoing") }, w)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := exitCodeOf(t, exited, 30*time.Second, w); code != leftovers.ExitInterrupted {
		t.Errorf("exit %d, want %d\n%s", code, leftovers.ExitInterrupted, w)
	}
	hand := "  fault f (exec): sh -c 'sleep 1000 & echo $! > " + pidFile + "; wait' x --token=xxxxx\n"
	if !strings.Contains(w.String(), "loadgate: exiting at once\nloadgate: left on; undo by hand:\n"+hand) {
		t.Errorf("the third interrupt did not say what is left on:\n%s", w)
	}
	if strings.Contains(w.String(), "s3cr3t") {
		t.Errorf("a secret is shown:\n%s", w)
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil && !zombie(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the undo's background sleep (pid %d) outlived loadgate", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The next start says what the killed run left on, once.
	for i, want := range []bool{true, false} {
		w2 := &lineWaiter{}
		_, exited2 := started(t, state, w2, "run", sc, "--dry-run")
		if code := exitCodeOf(t, exited2, time.Minute, w2); code != 0 {
			t.Fatalf("dry run: exit %d\n%s", code, w2)
		}
		said := strings.Contains(w2.String(), "left fault f (exec) on; undo it by hand: sh -c 'sleep 1000")
		if said != want {
			t.Errorf("start %d: reported the leftover %v, want %v\n%s", i+1, said, want, w2)
		}
	}
}

// zombie reports whether pid is a zombie (dead, not yet reaped).
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X')
}
