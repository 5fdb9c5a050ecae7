//go:build unix

package record

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadersTakeRegularFilesOnly: every reader of a run directory refuses,
// at once and without reading it, a file that is not a regular file (a
// symlink to /dev/urandom or /dev/zero, which would be read for ever, and a
// FIFO no one writes to, whose open would wait for ever) and one larger than
// its limit, naming the file and what is wrong. A symlink to a regular file
// is read as the file.
func TestReadersTakeRegularFilesOnly(t *testing.T) {
	t.Parallel()
	readers := []struct {
		file  string
		limit int64
		read  func(dir string) error
	}{
		{RunFile, MaxJSONBytes, func(dir string) error { _, err := ReadRun(dir); return err }},
		{TimelineFile, MaxTimelineBytes, func(dir string) error { _, err := ReadTimeline(dir); return err }},
		{CapacityFile, MaxJSONBytes, func(dir string) error { _, err := ReadCapacity(dir); return err }},
		{HlogFile, MaxHlogBytes, func(dir string) error { _, err := HlogCounts(filepath.Join(dir, HlogFile)); return err }},
		{ServiceHlogFile, MaxHlogBytes, func(dir string) error {
			f, err := OpenHlog(filepath.Join(dir, ServiceHlogFile))
			if err == nil {
				f.Close()
			}
			return err
		}},
	}
	specials := []struct {
		name string
		make func(t *testing.T, path string, limit int64)
		want string
	}{
		// Endless random bytes, with a line feed every 256 on average.
		{"urandom", func(t *testing.T, path string, _ int64) { symlink(t, "/dev/urandom", path) }, "not a regular file (a device)"},
		// Endless zeros, no line feed ever.
		{"zero", func(t *testing.T, path string, _ int64) { symlink(t, "/dev/zero", path) }, "not a regular file (a device)"},
		{"fifo", func(t *testing.T, path string, _ int64) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file (a named pipe)"},
		{"directory", func(t *testing.T, path string, _ int64) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file (a directory)"},
		// A sparse file one byte over the limit: refused by its size, unread.
		{"too large", func(t *testing.T, path string, limit int64) {
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(limit + 1); err != nil {
				t.Fatal(err)
			}
		}, "the most it may be"},
	}
	for _, r := range readers {
		for _, s := range specials {
			t.Run(r.file+" "+s.name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				path := filepath.Join(dir, r.file)
				s.make(t, path, r.limit)
				err := within(t, func() error { return r.read(dir) })
				if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), s.want) {
					t.Errorf("%s as %s: %v, want an error naming it and saying %q", r.file, s.name, err, s.want)
				}
				if errors.Is(err, ErrMissing) {
					t.Errorf("%s as %s: %v reads as missing", r.file, s.name, err)
				}
			})
		}
	}
}

// TestReadersFollowSymlinksToFiles: a run directory's files may be
// symlinks to regular files (a results tree copied with links); they are
// read as the files.
func TestReadersFollowSymlinksToFiles(t *testing.T) {
	t.Parallel()
	real, dir := t.TempDir(), t.TempDir()
	if err := WriteJSON(filepath.Join(real, RunFile), &Run{Schema: Schema, ID: "x"}); err != nil {
		t.Fatal(err)
	}
	symlink(t, filepath.Join(real, RunFile), filepath.Join(dir, RunFile))
	if r, err := ReadRun(dir); err != nil || r.ID != "x" {
		t.Errorf("run.json through a symlink: %+v, %v", r, err)
	}
	if _, err := ReadTimeline(dir); !errors.Is(err, ErrMissing) {
		t.Errorf("no timeline.json: %v, want ErrMissing", err)
	}
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// within runs read and returns its error; a read still going after 20 s
// (an endless file being read, an open waiting for a writer) fails the
// test instead of hanging it.
func within(t *testing.T, read func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- read() }()
	failsafe := time.NewTimer(20 * time.Second)
	defer failsafe.Stop()
	select {
	case err := <-done:
		return err
	case <-failsafe.C:
		t.Fatal("still reading after 20 s: the reader took a file that never ends")
		return nil
	}
}
