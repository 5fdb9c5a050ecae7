package record

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// MergeOption configures Merge.
type MergeOption func(*mergeConfig)

type mergeConfig struct {
	partial bool
	wait    time.Duration
	poll    time.Duration
	clock   clock // the wait's; the wall clock but in tests (withClock)
}

// withClock replaces the wall clock of Merge's wait (tests).
func withClock(c clock) MergeOption { return func(cfg *mergeConfig) { cfg.clock = c } }

// DefaultMergePoll is how often Merge looks again for shards while it waits.
const DefaultMergePoll = 2 * time.Second

// Partial lets Merge go ahead when shards are missing or did not complete:
// shards that were aborted are merged with what they recorded, shards
// without a sound run.json or with another status are left out, and the
// merged run is marked partial (Merged.Partial). Default: refuse.
func Partial() MergeOption { return func(c *mergeConfig) { c.partial = true } }

// WaitFor makes Merge wait up to d for shards that are not there yet (a
// missing index, a directory with no run.json, a run.json still "running"),
// looking again every poll (DefaultMergePoll when 0): what a merge Job
// started beside its shards needs. Once d has passed it merges, or refuses,
// as without waiting. Shards that can never merge (other plans, an index
// twice) are refused at once. Default: no wait.
func WaitFor(d, poll time.Duration) MergeOption {
	return func(c *mergeConfig) { c.wait, c.poll = d, poll }
}

// Merge adds the results of the shard runs of one plan (`--shard i/N`, run
// side by side) into one run, exactly: counts add, the HDR interval logs add
// interval by interval, and the percentiles are recomputed from the sums, so
// the merged run reads as if one generator had run the whole plan. Every
// shard scraped the same target: the target's series are measured again
// from one chain of all the shards' scrapes (chainScrapes), over the window
// and per interval, so that no shard's scrapes are lost and none counts
// twice.
//
// It writes the merged interval logs (HlogFile, ServiceHlogFile) into out,
// each atomically, and returns the merged run and timeline: the caller
// writes them (TimelineFile, then RunFile, with WriteJSON), and, when out
// lies in a results root (IsResultsRoot of its parent), points its latest
// link at out (LinkLatest). The gates are left to the caller to evaluate:
// the plan's expressions, or the ones the shards were judged by in their
// place (Merged.Gates).
//
// It refuses, naming the directories, runs that are not shards, shards of
// different plans (run.json's plan_hash) or shard counts, a shard index given
// twice, shards judged by different gates, and, unless Partial is given, a
// missing shard index or a shard that did not complete. out must be absent
// or empty; a merge refused once it has made out leaves it as it was
// (absent, or empty).
func Merge(ctx context.Context, dirs []string, out string, opts ...MergeOption) (*Run, *Timeline, error) {
	cfg := mergeConfig{poll: DefaultMergePoll, clock: wallClock()}
	for _, o := range opts {
		o(&cfg)
	}
	if len(dirs) == 0 {
		return nil, nil, errors.New("merge: no shard runs given")
	}
	if out == "" {
		return nil, nil, errors.New("merge: the merged run's directory is needed (--out)")
	}
	set, err := waitForShards(ctx, dirs, cfg)
	if err != nil {
		return nil, nil, err
	}
	o, err := makeOut(out)
	if err != nil {
		return nil, nil, err
	}
	run, tl, err := set.merge(ctx, o)
	if err != nil {
		o.remove()
		return nil, nil, err
	}
	return run, tl, nil
}

// merge writes the merged logs into o and adds up the runs and timelines.
func (s *shardSet) merge(ctx context.Context, o *outDir) (*Run, *Timeline, error) {
	dirs := s.dirs()
	latency, err := mergeLatencyLogs(ctx, dirs, o)
	if err != nil {
		return nil, nil, err
	}
	service, err := mergeServiceLogs(dirs, o)
	if err != nil {
		return nil, nil, err
	}
	stream, err := mergeStreamLogs(ctx, dirs, o)
	if err != nil {
		return nil, nil, err
	}
	tl, err := mergeTimelines(s)
	if err != nil {
		return nil, nil, err
	}
	run := mergeRuns(s, filepath.Base(o.path), latency, service, tl)
	run.finishStreams(stream)
	run.Server.ServerTiming = ServerTimingSummary(tl.Points)
	return run, tl, nil
}

// outDir is the merged run's directory and what Merge made there, so that a
// refused merge leaves nothing behind.
type outDir struct {
	path    string
	made    []string // directories Merge created, outermost first
	written []string // files Merge wrote
}

// makeOut makes out ready for the merged run: created when absent (with
// the parents it lacks), taken when empty, refused otherwise.
func makeOut(out string) (*outDir, error) {
	o := &outDir{path: out}
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		for d := filepath.Clean(out); ; d = filepath.Dir(d) {
			if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
				break
			}
			o.made = append([]string{d}, o.made...)
			if filepath.Dir(d) == d {
				break
			}
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			o.remove()
			return nil, fmt.Errorf("merge: creating run directory: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("merge: run directory %s: %w", out, err)
	case len(entries) > 0:
		return nil, fmt.Errorf("merge: run directory %s is not empty", out)
	}
	return o, nil
}

// write writes the file name into the merged run's directory with fill,
// atomically, and notes it for remove.
func (o *outDir) write(name string, fill func(io.Writer) error) error {
	f, err := createAtomic(filepath.Join(o.path, name))
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	defer f.discard()
	buf := bufio.NewWriter(f)
	if err := fill(buf); err != nil {
		return err
	}
	if err := buf.Flush(); err != nil {
		return fmt.Errorf("merge: writing %s: %w", f.path, err)
	}
	if err := f.commit(); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	o.written = append(o.written, f.path)
	return nil
}

// remove takes back what Merge wrote and made: the files it wrote, then
// the directories it created, innermost first. Anything else found there
// (another process's files) stays, and so does the directory holding it.
func (o *outDir) remove() {
	for _, f := range o.written {
		_ = os.Remove(f)
	}
	for i := len(o.made) - 1; i >= 0; i-- {
		_ = os.Remove(o.made[i])
	}
}
