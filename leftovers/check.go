package leftovers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// EnvStateDir names the state directory (Dir).
const EnvStateDir = "LOADGATE_STATE_DIR"

// Dir is the state directory: $LOADGATE_STATE_DIR, else
// $XDG_RUNTIME_DIR/loadgate (a directory of the user's own, emptied at
// logout and reboot, when processes are gone too), else
// os.TempDir()/loadgate-UID. getenv reads the environment.
func Dir(getenv func(string) string) string {
	if d := getenv(EnvStateDir); d != "" {
		return d
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "loadgate")
	}
	return filepath.Join(os.TempDir(), "loadgate-"+strconv.Itoa(os.Geteuid()))
}

// makeDir creates dir (0700) when absent and checks that it is safe to
// trust: a directory, not a link, the user's own, writable by nobody else.
// In a shared temporary directory another user could have made it first.
func makeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	return checkDir(dir)
}

func checkDir(dir string) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("state directory %s: not a directory (a link or a file)", dir)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("state directory %s: writable by others (mode %v): set %s to a directory of your own", dir, st.Mode().Perm(), EnvStateDir)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
		return fmt.Errorf("state directory %s: owned by uid %d, not by you: set %s to a directory of your own", dir, sys.Uid, EnvStateDir)
	}
	return nil
}

// maxEntry bounds an entry file read.
const maxEntry = 64 << 10

// Check reports on w what loadgate processes that are gone (killed, or
// ended by a machine going down) left in the state directory dir, each
// with how to clean it up:
//   - a process a run started that still runs (the reference target on its
//     port, an exec fault's process group): reported at every start while
//     it runs; its entry is removed once it is gone;
//   - a drill still marked as on: reported once, then removed (loadgate
//     cannot tell when it has been undone by hand).
//
// Entries of running loadgate processes are left alone, and so is a
// missing directory. An entry that cannot be read is reported and removed.
// The error is a directory that cannot be read or trusted.
func Check(w io.Writer, dir string) error {
	names, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	if err := checkDir(dir); err != nil {
		return err
	}
	type found struct {
		path string
		e    Entry
	}
	var all []found
	for _, d := range names {
		if !strings.HasSuffix(d.Name(), ".json") || !d.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, d.Name())
		e, err := readEntry(path)
		if err != nil {
			fmt.Fprintf(w, "loadgate: leftover record %s unreadable, removed: %v\n", path, err)
			os.Remove(path)
			continue
		}
		all = append(all, found{path, e})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].e.Since.Before(all[j].e.Since) })
	for _, f := range all {
		e := f.e
		if e.Loadgate.alive() {
			continue // its run is still going
		}
		by := fmt.Sprintf("a loadgate that did not end cleanly (pid %d, %s)", e.Loadgate.PID, e.Since.Local().Format(time.DateTime))
		switch {
		case e.process() && e.running():
			fmt.Fprintf(w, "loadgate: %s left %s running (pid %d); end it with: %s\n", by, e.What, e.PID, e.Undo)
			continue
		case e.process():
		case e.Undo != "":
			fmt.Fprintf(w, "loadgate: %s left %s on; undo it by hand: %s\n", by, e.What, e.Undo)
		}
		if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func readEntry(path string) (Entry, error) {
	var e Entry
	f, err := os.Open(path)
	if err != nil {
		return e, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEntry+1))
	if err != nil {
		return e, err
	}
	if len(b) > maxEntry {
		return e, fmt.Errorf("larger than %d bytes", maxEntry)
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, err
	}
	if e.Loadgate.PID <= 0 || e.What == "" {
		return e, errors.New("no loadgate pid or no description")
	}
	return e, nil
}
