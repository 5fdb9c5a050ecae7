package record

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// WriteFile leaves a file readable by all, replaces the old content whole,
// and leaves no temporary file behind.
func TestWriteFileIsAtomicAndReadable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, RunFile)
	if err := WriteFile(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o644 {
		t.Errorf("mode %o, want 644", perm)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q, want new", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want 1 (no temp files)", len(entries))
	}
}

// A missing or corrupt run.json is an error that names the file.
func TestReadRunNamesTheFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := ReadRun(dir); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), RunFile) {
		t.Errorf("missing: %v", err)
	}
	if err := WriteFile(filepath.Join(dir, RunFile), []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRun(dir); err == nil || !strings.Contains(err.Error(), "run.json is corrupt") {
		t.Errorf("corrupt: %v", err)
	}
}
