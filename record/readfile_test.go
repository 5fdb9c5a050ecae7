//go:build unix

package record

import (
	"context"
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

// TestMergeReadsRegularFilesOnly: a shard whose run.json is a symlink to
// /dev/urandom is refused (or, with --partial, left out) at once, naming
// it; one whose latency.hlog is /dev/zero or a FIFO is refused, and the
// merge leaves nothing behind.
func TestMergeReadsRegularFilesOnly(t *testing.T) {
	t.Parallel()
	dirs, _ := fakeShards(t, 2)
	special := func(t *testing.T, name string, make func(path string) error) string {
		dir := variant(t, dirs[1], func(*Run) {})
		path := filepath.Join(dir, name)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := make(path); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	urandom := special(t, RunFile, func(path string) error { return os.Symlink("/dev/urandom", path) })
	out := filepath.Join(t.TempDir(), "m")
	err := within(t, func() error { _, _, err := Merge(context.Background(), []string{dirs[0], urandom}, out); return err })
	if err == nil || !strings.Contains(err.Error(), filepath.Join(urandom, RunFile)) || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a shard's run.json linked to /dev/urandom: %v, want a refusal naming it", err)
	}
	var run *Run
	err = within(t, func() (err error) {
		run, _, err = Merge(context.Background(), []string{dirs[0], urandom}, out, Partial())
		return err
	})
	if err != nil || run.Merged.Shards != 1 || !strings.Contains(strings.Join(run.Warnings, " "), "not a regular file") {
		t.Errorf("--partial with a shard's run.json linked to /dev/urandom: %v, want it left out and said", err)
	}

	for name, make := range map[string]func(path string) error{
		"/dev/zero": func(path string) error { return os.Symlink("/dev/zero", path) },
		"a FIFO":    func(path string) error { return syscall.Mkfifo(path, 0o600) },
	} {
		bad := special(t, HlogFile, make)
		out := filepath.Join(t.TempDir(), "m")
		err := within(t, func() error { _, _, err := Merge(context.Background(), []string{dirs[0], bad}, out); return err })
		if err == nil || !strings.Contains(err.Error(), filepath.Join(bad, HlogFile)) || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("a shard's latency.hlog as %s: %v, want a refusal naming it", name, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("a refused merge left %s", out)
		}
	}
}
