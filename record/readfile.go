package record

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Limits on the files of a run directory: a reader in this package opens
// regular files only and takes no more than these, whatever a path points
// at (a symlink to /dev/urandom, a FIFO) or a file holds.
const (
	// MaxJSONBytes bounds run.json and capacity.json. A run.json takes a few
	// kilobytes per series: 2,000 endpoints make about 5 MB.
	MaxJSONBytes = 64 << 20
	// MaxTimelineBytes bounds timeline.json: one point a second, about 1 KB
	// with every metric of the reference target and three Server-Timing
	// entries, so a 24 h run writes about 90 MB; the bound leaves room for
	// 3 KB a point.
	MaxTimelineBytes = 256 << 20
	// MaxHlogBytes bounds an interval log (latency.hlog, service_time.hlog).
	// latency.hlog holds a line a second per series and population with
	// data, about 350 bytes at 100 requests a second, 1.2 KB at 1,000 and
	// 3.5 KB at 10,000: a 24 h run at 10,000 requests a second over 10
	// endpoints writes about 2.7 GB. The logs are read one line at a time
	// (a line at most 64 MiB), so the bound is on time, not memory.
	MaxHlogBytes = 16 << 30
)

// OpenRegular opens path for reading when it is a regular file (a symlink
// to one is followed) of at most limit bytes. Its open does not wait: a
// FIFO is opened non-blocking, then refused. A file that does not exist is
// ErrMissing.
func OpenRegular(path string, limit int64) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("reading %s: not a regular file (%s)", path, fileKind(fi.Mode()))
	}
	if fi.Size() > limit {
		f.Close()
		return nil, fmt.Errorf("reading %s: %d bytes, more than the most it may be (%s)", path, fi.Size(), FormatBytes(float64(limit)))
	}
	return f, nil
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeDir != 0:
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.Type().String()
}

// ReadRegular reads the whole of path, a regular file of at most limit
// bytes (OpenRegular); a file that grows past limit while it is read is
// refused too.
func ReadRegular(path string, limit int64) ([]byte, error) {
	f, err := OpenRegular(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(&capped{r: f, path: path, limit: limit})
	if err != nil {
		return nil, err
	}
	return data, nil
}

// capped reads r and fails once more than limit bytes came from it.
type capped struct {
	r        io.Reader
	path     string
	limit, n int64
}

func (c *capped) Read(p []byte) (int, error) {
	if room := c.limit - c.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.limit {
		return 0, fmt.Errorf("reading %s: more than the most it may be (%s)", c.path, FormatBytes(float64(c.limit)))
	}
	return n, err
}

// OpenHlog opens the interval log at path for reading (NewHlogReader): a
// regular file of at most MaxHlogBytes; one that does not exist is
// ErrMissing.
func OpenHlog(path string) (*os.File, error) { return OpenRegular(path, MaxHlogBytes) }

// ReadCapacity reads and checks dir/capacity.json, as ReadRun does run.json.
func ReadCapacity(dir string) (*Capacity, error) {
	var c Capacity
	path := filepath.Join(dir, CapacityFile)
	data, err := ReadRegular(path, MaxJSONBytes)
	if err != nil {
		return nil, err
	}
	if err := decodeJSON(path, data, &c); err != nil {
		return nil, err
	}
	if c.Schema != Schema {
		return nil, fmt.Errorf("%s: schema %d, this loadgate reads schema %d", path, c.Schema, Schema)
	}
	if err := readOldCapacity(path, data, &c); err != nil {
		return nil, err
	}
	return &c, nil
}
