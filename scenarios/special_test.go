package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A scenario or data file that is not a regular file (a device that never
// ends, a named pipe nobody writes) is refused at once, naming it: before,
// a data file linked to /dev/zero was read until memory ran out, and a
// scenario that is a pipe waited forever.
func TestSpecialFilesRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.json")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ file, data, want string }{
		{"csv.yaml", "{file: zero.csv, column: user}", "zero.csv: not a regular file (a device)"},
		{"json.yaml", "{file: zero.json}", "zero.json: not a regular file (a device)"},
	} {
		body := "name: x\ntarget: {base_url: \"http://127.0.0.1:1\"}\nload: {stages: [{duration: 1s, rate: 1/s}]}\n" +
			"data: {user: " + tt.data + "}\nrequests: [{name: a, path: \"/{{user}}\"}]\n"
		path := filepath.Join(dir, tt.file)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := Load(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: %v, want %q", tt.file, err, tt.want)
			}
		case <-time.After(20 * time.Second): // a failsafe, not a measure
			t.Fatalf("%s: still reading", tt.file)
		}
	}
	done := make(chan error, 1)
	go func() { _, err := Load(filepath.Join(dir, "pipe.yaml")); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "pipe.yaml: not a regular file (a named pipe)") {
			t.Errorf("a pipe: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a scenario that is a pipe is still being read")
	}
}
