package leftovers

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The first interrupt stops the run; the second only says which drills are
// still being undone; the third kills what the run started, says what is
// left on and how to undo it, and exits 130.
func TestWatch(t *testing.T) {
	t.Parallel()
	l := Open(filepath.Join(t.TempDir(), "state"))
	l.Drill("fault pg_down (pg_stop)", "pg_ctl -D /data start")
	l.Drill("fault slow (latency)", "")
	s := sleeper(t)
	l.Process("the reference target on 127.0.0.1:1", s.Process.Pid, true)

	sigs := make(chan os.Signal)
	var w syncBuffer
	stopped := make(chan struct{})
	exited := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Watch(sigs, &w, func() { close(stopped) }, func(code int) { exited <- code })
	}()

	sigs <- syscall.SIGINT
	<-stopped
	sigs <- syscall.SIGTERM // taken once Watch reads it: the second message follows
	sigs <- syscall.SIGINT
	<-done
	if code := <-exited; code != ExitInterrupted {
		t.Errorf("exit %d, want %d", code, ExitInterrupted)
	}
	out := w.String()
	for _, want := range []string{
		"loadgate: stopping in order, undoing what was turned on",
		"loadgate: still undoing fault pg_down (pg_stop), fault slow (latency); waiting (a third interrupt exits at once",
		"loadgate: exiting at once\nloadgate: left on; undo by hand:\n  fault pg_down (pg_stop): pg_ctl -D /data start\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Watch did not say %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "still undoing") > strings.Index(out, "exiting at once") {
		t.Errorf("out of order:\n%s", out)
	}
	waitGone(t, s.Process.Pid, 10*time.Second)
}

// A closed channel (the command returned) ends Watch without stopping or
// exiting.
func TestWatchEnds(t *testing.T) {
	t.Parallel()
	sigs := make(chan os.Signal)
	close(sigs)
	var nilLedger *Ledger
	nilLedger.Watch(sigs, &bytes.Buffer{}, func() { t.Error("stop called") }, func(int) { t.Error("exit called") })
}
