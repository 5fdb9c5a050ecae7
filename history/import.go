package history

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
)

// Imported counts what Import did.
type Imported struct {
	Added, Present, Skipped, Failed int
}

// Import adds the runs of existing results directories to the store: each
// dir is a run (run.json), a merged run, a capacity search (capacity.json,
// with its steps), a comparison (comparison.json: its runs), or a
// directory holding such directories (a results root; its latest link is
// not followed). branch is recorded as the runs' branch ("" unknown). A
// run the store holds already is left as it is, so an import may be run
// again. Each directory gets a line on w: added, already there, skipped
// (not finished) or its error; the others go on after an error, which
// Failed counts.
func (s *Store) Import(ctx context.Context, dirs []string, branch string, w io.Writer) (Imported, error) {
	var n Imported
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if err != nil {
			return n, fmt.Errorf("import: %w", err)
		}
		if !fi.IsDir() {
			return n, fmt.Errorf("import: %s is not a directory", d)
		}
		if err := s.importDir(ctx, d, branch, w, &n, 0); err != nil {
			return n, err
		}
	}
	return n, nil
}

// maxImportDepth bounds how deep Import looks for runs under a directory
// (a results root, a directory of results roots).
const maxImportDepth = 3

func (s *Store) importDir(ctx context.Context, dir, branch string, w io.Writer, n *Imported, depth int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	say := func(what string) { fmt.Fprintf(w, "%s: %s\n", dir, redact.Terminal(what)) }
	tally := func(added bool, err error) error {
		switch {
		case isStoreError(err):
			return err // the store itself failed: every other run would too
		case err != nil:
			n.Failed++
			say(err.Error())
		case added:
			n.Added++
			say("added")
		default:
			n.Present++
			say("already there")
		}
		return nil
	}
	if exists(filepath.Join(dir, record.RunFile)) {
		run, err := record.ReadRun(dir)
		if err != nil {
			return tally(false, err)
		}
		if run.Status == record.StatusRunning {
			n.Skipped++
			say("skipped: the run did not finish (status running)")
			return nil
		}
		return tally(s.Add(ctx, dir, run, branch))
	}
	if exists(filepath.Join(dir, record.CapacityFile)) {
		c, err := record.ReadCapacity(dir)
		if err != nil {
			return tally(false, err)
		}
		return tally(s.AddCapacity(ctx, dir, c, branch))
	}
	if exists(filepath.Join(dir, record.ComparisonFile)) {
		c, err := record.ReadComparison(dir)
		if err != nil {
			return tally(false, err)
		}
		for i := range c.Runs {
			if err := s.importDir(ctx, c.RunDir(dir, i), branch, w, n, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if depth >= maxImportDepth {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if !e.IsDir() { // a symlink (latest) is not a directory entry here
			continue
		}
		if err := s.importDir(ctx, filepath.Join(dir, e.Name()), branch, w, n, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// storeError is an error of the store itself (not of a run's files).
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

func isStoreError(err error) bool {
	var se *storeError
	return errors.As(err, &se)
}
