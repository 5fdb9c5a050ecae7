//go:build unix

package report

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

// TestLogThatIsNoFile: a latency.hlog that is a FIFO no one writes to, or
// a symlink to /dev/zero, is refused at once, naming it, as record's
// readers refuse what is not a regular file; it neither hangs the report
// nor feeds it for ever.
func TestLogThatIsNoFile(t *testing.T) {
	t.Parallel()
	for name, mk := range map[string]func(path string) error{
		"fifo": func(path string) error { return syscall.Mkfifo(path, 0o600) },
		"zero": func(path string) error { return os.Symlink("/dev/zero", path) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := incompleteFixture(t)
			path := filepath.Join(dir, record.HlogFile)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := mk(path); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { _, err := loadRun(dir); done <- err }()
			failsafe := time.NewTimer(20 * time.Second)
			defer failsafe.Stop()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a regular file") {
					t.Errorf("latency.hlog as a %s: %v, want a refusal naming it", name, err)
				}
			case <-failsafe.C:
				t.Fatalf("latency.hlog as a %s: still reading after 20 s", name)
			}
		})
	}
}
