package runner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/record"
)

// maxStartSpread is how far apart shards may start before the merge warns
// that their intervals, added second by second, were not the same seconds.
const maxStartSpread = time.Second

// MergeOption configures Merge.
type MergeOption func(*mergeConfig)

type mergeConfig struct {
	partial bool
	wait    time.Duration
	poll    time.Duration
	clock   clock // the wait's; the wall clock but in tests (mergeClock)
}

// mergeClock replaces the wall clock of Merge's wait (tests).
func mergeClock(c clock) MergeOption { return func(cfg *mergeConfig) { cfg.clock = c } }

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
// side by side) into one run directory out, exactly: counts add, the HDR
// interval logs add interval by interval, and run.json's percentiles are
// recomputed from the sums, so the merged run reads as if one generator had
// run the whole plan. The target's scraped figures come from the shard that
// scraped it most (every shard scraped the same target over about the same
// window); the maxima of its gauges are taken over all shards.
//
// It refuses, naming the directories, runs that are not shards, shards of
// different plans (run.json's plan_hash) or shard counts, a shard index given
// twice, and, unless Partial is given, a missing shard index or a shard that
// did not complete. out must be absent or empty; when it lies in a results
// root (a directory with a "latest" link), the link is updated. The gates are
// left for the report package to evaluate: the plan's expressions, or the
// ones the shards were judged by in their place (merged.gates); shards judged
// by different gates are refused.
func Merge(ctx context.Context, dirs []string, out string, opts ...MergeOption) (*record.Run, error) {
	cfg := mergeConfig{poll: DefaultMergePoll, clock: wallClock()}
	for _, o := range opts {
		o(&cfg)
	}
	if len(dirs) == 0 {
		return nil, errors.New("merge: no shard runs given")
	}
	if out == "" {
		return nil, errors.New("merge: the merged run's directory is needed (--out)")
	}
	set, err := waitForShards(ctx, dirs, cfg)
	if err != nil {
		return nil, err
	}
	dirs = set.dirs()
	dir, err := makeRunDir("", out, "")
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	latency, err := mergeLatencyLogs(dirs, filepath.Join(dir, record.HlogFile))
	if err != nil {
		return nil, err
	}
	service, serviceLog, err := mergeServiceLogs(dirs)
	if err != nil {
		return nil, err
	}
	run := mergeRuns(set, filepath.Base(dir), latency, service)
	tl := mergeTimelines(set.timelines(), set.scraper)
	run.Server.ServerTiming = serverTimingSummary(tl.Points)
	if err := record.WriteFile(filepath.Join(dir, record.ServiceHlogFile), serviceLog); err != nil {
		return nil, err
	}
	if err := record.WriteJSON(filepath.Join(dir, record.TimelineFile), tl); err != nil {
		return nil, err
	}
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		return nil, err
	}
	if hasLatest(filepath.Dir(dir)) {
		if err := linkLatest(dir); err != nil {
			return run, err
		}
	}
	return run, nil
}

// shardRun is one shard's results directory, read.
type shardRun struct {
	dir string
	run *record.Run
	tl  *record.Timeline
}

// shardSet is the shards to merge, by index, and what was left out.
type shardSet struct {
	shards  []shardRun // sorted by shard index
	count   int        // the plan's shard count
	missing []int
	partial bool
	notes   []string // why shards were left out (--partial)
	gates   []string // the gates the shards were judged by in place of the scenario's
	scraper int      // index into shards of the one whose scrapes are used
}

func (s *shardSet) dirs() []string {
	out := make([]string, len(s.shards))
	for i, sh := range s.shards {
		out[i] = sh.dir
	}
	return out
}

func (s *shardSet) timelines() []*record.Timeline {
	out := make([]*record.Timeline, len(s.shards))
	for i, sh := range s.shards {
		out[i] = sh.tl
	}
	return out
}

// notYet marks a refusal that time may cure: a shard not written yet, or
// still running.
type notYet struct{ err error }

func (e notYet) Error() string { return e.err.Error() }
func (e notYet) Unwrap() error { return e.err }

// waitForShards reads the shard runs, looking again while some are not
// there yet and cfg.wait has not passed on cfg.clock.
func waitForShards(ctx context.Context, dirs []string, cfg mergeConfig) (*shardSet, error) {
	if cfg.poll <= 0 {
		cfg.poll = DefaultMergePoll
	}
	clk := cfg.clock
	deadline := clk.now().Add(cfg.wait)
	for cfg.wait > 0 && clk.until(deadline) > 0 {
		set, err := readShards(shardDirsIn(dirs), false)
		if err == nil || !errors.As(err, new(notYet)) {
			return set, err
		}
		due, stop := clk.after(min(cfg.poll, clk.until(deadline)))
		select {
		case <-ctx.Done():
			stop()
			return nil, fmt.Errorf("merge: stopped while waiting for shards (%v): %w", err, ctx.Err())
		case <-due:
		}
	}
	return readShards(shardDirsIn(dirs), cfg.partial)
}

// shardDirsIn lists the shard run directories named by dirs: a directory
// with a run.json is one; a directory without (a results directory the
// shards write into) stands for its subdirectories. A directory that does
// not exist is kept as given, for readShards to report.
func shardDirsIn(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, record.RunFile)); err == nil {
			out = append(out, d)
			continue
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			out = append(out, d)
			continue
		}
		var subs []string
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				subs = append(subs, filepath.Join(d, e.Name()))
			}
		}
		if len(subs) == 0 {
			subs = []string{d}
		}
		out = append(out, subs...)
	}
	return out
}

// readShards reads and checks the shard runs (see Merge).
func readShards(dirs []string, partial bool) (*shardSet, error) {
	set := &shardSet{}
	var first *shardRun
	byIndex := map[int]string{}
	var all []shardRun
	for _, d := range dirs {
		r, err := record.ReadRun(d)
		if err != nil {
			if partial {
				set.notes = append(set.notes, fmt.Sprintf("%s left out: %v", d, err))
				set.partial = true
				continue
			}
			err = fmt.Errorf("merge: %w (--partial merges the other shards)", err)
			if errors.Is(err, record.ErrMissing) {
				err = notYet{err}
			}
			return nil, err
		}
		sh := shardRun{dir: d, run: r}
		switch {
		case r.ShardCount == 0:
			return nil, fmt.Errorf("merge: %s is not a shard run (run.json has no shard_count; run shards with --shard i/N or --shard auto)", d)
		case r.PlanHash == "":
			return nil, fmt.Errorf("merge: %s records no plan_hash (written by an older loadgate): rerun the shards", d)
		case first == nil:
			first = &sh
		case r.PlanHash != first.run.PlanHash:
			return nil, fmt.Errorf("merge: %s and %s are shards of different plans (plan_hash %s vs %s): scenario, overrides or target differ", first.dir, d, first.run.PlanHash, r.PlanHash)
		case r.ShardCount != first.run.ShardCount:
			return nil, fmt.Errorf("merge: %s is shard %d of %d, %s shard %d of %d: the shard counts differ", first.dir, first.run.ShardIndex, first.run.ShardCount, d, r.ShardIndex, r.ShardCount)
		}
		if r.ShardIndex < 1 || r.ShardIndex > r.ShardCount {
			return nil, fmt.Errorf("merge: %s has shard index %d of %d", d, r.ShardIndex, r.ShardCount)
		}
		if other, dup := byIndex[r.ShardIndex]; dup {
			return nil, fmt.Errorf("merge: %s and %s are both shard %d of %d", other, d, r.ShardIndex, r.ShardCount)
		}
		byIndex[r.ShardIndex] = d
		all = append(all, sh)
	}
	if first == nil {
		return nil, fmt.Errorf("merge: none of the %d directories holds a shard run: %s", len(dirs), strings.Join(set.notes, "; "))
	}
	set.count = first.run.ShardCount
	for _, sh := range all {
		switch sh.run.Status {
		case record.StatusCompleted:
		case record.StatusAborted:
			if !partial {
				return nil, fmt.Errorf("merge: shard %d (%s) did not complete: status %s (--partial merges what it recorded)", sh.run.ShardIndex, sh.dir, sh.run.Status)
			}
			set.partial = true
			set.notes = append(set.notes, fmt.Sprintf("shard %d was aborted: it holds only what it recorded", sh.run.ShardIndex))
		default:
			if !partial {
				err := fmt.Errorf("merge: shard %d (%s) did not complete: status %q (--partial merges the other shards)", sh.run.ShardIndex, sh.dir, sh.run.Status)
				if sh.run.Status != record.StatusFailed {
					err = notYet{err} // still running
				}
				return nil, err
			}
			set.partial = true
			set.notes = append(set.notes, fmt.Sprintf("shard %d (%s) left out: status %q", sh.run.ShardIndex, sh.dir, sh.run.Status))
			continue
		}
		tl, err := record.ReadTimeline(sh.dir)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		sh.tl = tl
		set.shards = append(set.shards, sh)
	}
	sort.Slice(set.shards, func(i, j int) bool { return set.shards[i].run.ShardIndex < set.shards[j].run.ShardIndex })
	merged := map[int]bool{}
	for _, sh := range set.shards {
		merged[sh.run.ShardIndex] = true
	}
	for i := 1; i <= set.count; i++ {
		if !merged[i] {
			set.missing = append(set.missing, i)
		}
	}
	if len(set.missing) > 0 && !partial {
		return nil, notYet{fmt.Errorf("merge: shard %s of %d missing (give every shard's directory, or --partial)", intList(set.missing), set.count)}
	}
	if len(set.missing) > 0 {
		set.partial = true
	}
	if len(set.shards) == 0 {
		return nil, fmt.Errorf("merge: no shard left to merge: %s", strings.Join(set.notes, "; "))
	}
	gates, err := shardGates(set.shards)
	if err != nil {
		return nil, err
	}
	set.gates = gates
	for i, sh := range set.shards {
		if sh.run.Server.Scrapes > set.shards[set.scraper].run.Server.Scrapes {
			set.scraper = i
		}
	}
	return set, nil
}

// shardGates returns the gates the shards were judged by in place of the
// scenario's (nil when they were judged by the scenario's), so that the
// merged run is judged as its shards were. A shard with no recorded verdict
// counts as judged by the scenario's gates. Shards judged by different gates
// are refused: the merged run could not be judged as each of them was.
func shardGates(shards []shardRun) ([]string, error) {
	gatesOf := func(r *record.Run) ([]string, string) {
		if r.Judged != nil && r.Judged.Source == record.GatesOverride {
			return r.Judged.Gates, "gates given in place of the scenario's"
		}
		return r.Plan.Gates, "the scenario's gates"
	}
	first, firstSource := gatesOf(shards[0].run)
	for _, sh := range shards[1:] {
		gates, source := gatesOf(sh.run)
		if source != firstSource || !slices.Equal(gates, first) {
			return nil, fmt.Errorf("merge: shard %d (%s) and shard %d (%s) were judged by different gates: %q (%s) and %q (%s); run every shard with the same --gate flags",
				shards[0].run.ShardIndex, shards[0].dir, sh.run.ShardIndex, sh.dir, first, firstSource, gates, source)
		}
	}
	if r := shards[0].run; r.Judged != nil && r.Judged.Source == record.GatesOverride {
		return append([]string{}, first...), nil
	}
	return nil, nil
}

func intList(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ", ")
}

// sums holds one histogram per series ("" = overall).
type sums map[string]*hdr.Histogram

// add adds an interval of a log to its tag's sum.
func (s sums) add(iv record.HlogInterval) {
	h := iv.Hist
	acc, ok := s[iv.Tag]
	if !ok {
		acc = hdr.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
		acc.SetTag(iv.Tag)
		s[iv.Tag] = acc
	}
	h.MergeInto(acc)
}

// frameReader reads an interval log one frame at a time: an untagged
// (overall) interval and the tagged ones that follow it.
type frameReader struct {
	r       *record.HlogReader
	pending *record.HlogInterval
	err     error
}

func (f *frameReader) next() []record.HlogInterval {
	var frame []record.HlogInterval
	if f.pending != nil {
		frame, f.pending = append(frame, *f.pending), nil
	}
	for f.err == nil {
		iv, err := f.r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.err = err
			break
		}
		if iv.Tag == "" && len(frame) > 0 {
			f.pending = &iv
			break
		}
		frame = append(frame, iv)
	}
	return frame
}

// mergeLatencyLogs adds the shards' latency logs frame by frame (frame i of
// every shard is second i of its measured window) into path, and returns the
// whole-run sums. Only one frame per shard is held at a time.
func mergeLatencyLogs(dirs []string, path string) (sums, error) {
	readers := make([]*frameReader, len(dirs))
	for i, d := range dirs {
		data, err := os.Open(filepath.Join(d, record.HlogFile))
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		defer data.Close()
		readers[i] = &frameReader{r: record.NewHlogReader(data, filepath.Join(d, record.HlogFile))}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	defer f.Close()
	buf := bufio.NewWriter(f)
	w := hdr.NewHistogramLogWriter(buf)
	total := sums{}
	for wrote := false; ; {
		frame := sums{}
		var startMs, endMs int64
		for _, fr := range readers {
			hs := fr.next()
			if fr.err != nil {
				return nil, fmt.Errorf("merge: %w", fr.err)
			}
			for _, iv := range hs {
				if startMs == 0 {
					startMs, endMs = iv.StartMs, iv.EndMs
				}
				frame.add(iv)
				total.add(iv)
			}
		}
		if len(frame) == 0 {
			break
		}
		if !wrote {
			wrote = true
			if err := writeLogHeader(w, startMs, "merged shards: latency in microseconds from the intended send time"); err != nil {
				return nil, err
			}
		}
		for _, tag := range sortedTags(frame) {
			h := frame[tag]
			h.SetStartTimeMs(startMs)
			h.SetEndTimeMs(endMs)
			if err := w.OutputIntervalHistogram(h); err != nil {
				return nil, fmt.Errorf("merge: writing latency log: %w", err)
			}
		}
	}
	if err := buf.Flush(); err != nil {
		return nil, fmt.Errorf("merge: writing latency log: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("merge: writing latency log: %w", err)
	}
	return total, nil
}

func writeLogHeader(w *hdr.HistogramLogWriter, ms int64, comment string) error {
	if err := record.WriteHlogHeader(w, ms, comment); err != nil {
		return fmt.Errorf("merge: writing log: %w", err)
	}
	return nil
}

// sortedTags lists the overall series first, then endpoints by name.
func sortedTags(s sums) []string {
	tags := make([]string, 0, len(s))
	for t := range s {
		tags = append(tags, t)
	}
	sort.Strings(tags) // "" sorts first
	return tags
}

// mergeServiceLogs adds the shards' service-time logs; it returns the sums
// and their log.
func mergeServiceLogs(dirs []string) (sums, []byte, error) {
	total := sums{}
	var startMs, endMs int64
	for _, d := range dirs {
		path := filepath.Join(d, record.ServiceHlogFile)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("merge: %w", err)
		}
		err = record.ReadHlog(bytes.NewReader(data), path, func(iv record.HlogInterval) error {
			if startMs == 0 || iv.StartMs < startMs {
				startMs = iv.StartMs
			}
			endMs = max(endMs, iv.EndMs)
			total.add(iv)
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("merge: %w", err)
		}
	}
	var buf bytes.Buffer
	w := hdr.NewHistogramLogWriter(&buf)
	if err := writeLogHeader(w, startMs, "merged shards: service time (uncorrected) in microseconds over the measured window"); err != nil {
		return nil, nil, err
	}
	for _, tag := range sortedTags(total) {
		h := total[tag]
		h.SetStartTimeMs(startMs)
		h.SetEndTimeMs(endMs)
		if err := w.OutputIntervalHistogram(h); err != nil {
			return nil, nil, fmt.Errorf("merge: writing service time log: %w", err)
		}
	}
	return total, buf.Bytes(), nil
}

// mergeRuns adds the shards' run.json figures; latencies come from the sums.
func mergeRuns(set *shardSet, id string, latency, service sums) *record.Run {
	first := set.shards[0].run
	m := &record.Run{
		Schema:      record.Schema,
		ID:          id,
		Scenario:    first.Scenario,
		Description: first.Description,
		Status:      record.StatusCompleted,
		Target:      first.Target,
		Profile:     first.Profile,
		Started:     first.Started,
		Ended:       first.Ended,
		WarmupS:     first.WarmupS,
		Commit:      first.Commit,
		Host:        first.Host,
		Version:     first.Version,
		StartAt:     first.StartAt,
		PlanHash:    first.PlanHash,
		Plan:        first.Plan,
		Server:      set.shards[set.scraper].run.Server,
		Endpoints:   map[string]record.Stats{},
		Gates:       []record.Gate{},
		Merged: &record.Merged{
			Shards: len(set.shards), Of: set.count, Partial: set.partial, Missing: set.missing,
			Starts: []record.ShardStart{}, Gates: set.gates,
		},
	}
	m.Plan.Stages = append([]record.Stage(nil), first.Plan.Stages...)
	for i := range m.Plan.Stages {
		m.Plan.Stages[i].From, m.Plan.Stages[i].To = 0, 0
	}
	if set.partial {
		m.Warnings = append(m.Warnings, fmt.Sprintf("partial merge (--partial): %d of %d shards merged; the plan's load was not all sent", len(set.shards), set.count))
		m.Warnings = append(m.Warnings, set.notes...)
	}
	if host := m.Host; host != "" {
		for _, sh := range set.shards {
			if sh.run.Host != host {
				m.Host = "" // several machines: no one host to name
			}
		}
	}
	earliest, latest := first.Started, first.Started
	for _, sh := range set.shards {
		r := sh.run
		m.Merged.Starts = append(m.Merged.Starts, record.ShardStart{Index: r.ShardIndex, Run: r.ID, Started: r.Started, Status: r.Status})
		earliest, latest = minTime(earliest, r.Started), maxTime(latest, r.Started)
		m.Started, m.Ended = minTime(m.Started, r.Started), maxTime(m.Ended, r.Ended)
		if r.StartAt == nil || m.StartAt == nil || !r.StartAt.Equal(*m.StartAt) {
			m.StartAt = nil // no common start requested
		}
		if statusRank(r.Status) > statusRank(m.Status) {
			m.Status = r.Status
		}
		for i, st := range r.Plan.Stages {
			m.Plan.Stages[i].From += st.From
			m.Plan.Stages[i].To += st.To
		}
		addStats(&m.Overall, r.Overall)
		if g := r.Generator; g != nil {
			// Counts add; the merged lag is the worst shard's at each
			// percentile, an upper bound of the exact one.
			if m.Generator == nil {
				m.Generator = &record.Generator{}
			}
			m.Generator.Planned += g.Planned
			m.Generator.Sent += g.Sent
			m.Generator.Completed += g.Completed
			m.Generator.Late += g.Late
			l, w := &m.Generator.SendLag, g.SendLag
			l.Min, l.Mean, l.P50, l.P90 = max(l.Min, w.Min), max(l.Mean, w.Mean), max(l.P50, w.P50), max(l.P90, w.P90)
			l.P95, l.P99, l.P999, l.Max = max(l.P95, w.P95), max(l.P99, w.P99), max(l.P999, w.P999), max(l.Max, w.Max)
		}
		for name, st := range r.Endpoints {
			acc := m.Endpoints[name]
			addStats(&acc, st)
			m.Endpoints[name] = acc
		}
		for name, fs := range r.Flows {
			if m.Flows == nil {
				m.Flows = map[string]record.FlowStats{}
			}
			acc := m.Flows[name]
			acc.Steps = fs.Steps
			addStats(&acc.Iteration, fs.Iteration)
			acc.SkippedSteps += fs.SkippedSteps
			acc.Cut += fs.Cut
			m.Flows[name] = acc
		}
		m.Server.RSSBytesMax = maxOf(m.Server.RSSBytesMax, r.Server.RSSBytesMax)
		m.Server.Goroutines = maxOf(m.Server.Goroutines, r.Server.Goroutines)
		for _, w := range r.Warnings {
			m.Warnings = append(m.Warnings, fmt.Sprintf("shard %d/%d: %s", r.ShardIndex, r.ShardCount, w))
		}
		for _, e := range r.Expected {
			m.Expected = append(m.Expected, fmt.Sprintf("shard %d/%d: %s", r.ShardIndex, r.ShardCount, e))
		}
	}
	m.Merged.StartSpreadS = latest.Sub(earliest).Seconds()
	if spread := latest.Sub(earliest); spread > maxStartSpread {
		m.Warnings = append(m.Warnings, fmt.Sprintf("the shards started up to %s apart, so their seconds do not line up in the timeline and the latency log (--start-at gives them a common start)", spread.Round(time.Millisecond)))
	}
	finish := func(st *record.Stats, name string) {
		if h, ok := latency[name]; ok {
			st.LatencyUS = latencySummary(h)
		}
		if h, ok := service[name]; ok {
			st.ServiceTimeUS = latencySummary(h)
		}
		st.LatencyOKUS, st.ServiceTimeOKUS = populationOf(st, name, record.OK, latency, service)
		st.LatencyFailedUS, st.ServiceTimeFailedUS = populationOf(st, name, record.Failed, latency, service)
		if st.Requests > 0 {
			st.ErrorRate = float64(st.Requests-st.Successes) / float64(st.Requests)
		}
	}
	finish(&m.Overall, "")
	for name, st := range m.Endpoints {
		finish(&st, name)
		m.Endpoints[name] = st
	}
	for name, fs := range m.Flows {
		finish(&fs.Iteration, name+".iteration")
		m.Flows[name] = fs
	}
	return m
}

// populationOf summarises the merged latency and service time of the
// series name's population p, when the sums hold exactly that population's
// requests: a shard whose logs were written before they were split by
// outcome has no such tags, and a summary of the others alone would pass
// for all of them.
func populationOf(st *record.Stats, name string, p record.Population, latency, service sums) (lat, svc *record.Latency) {
	tag := record.Tag(name, p)
	n := st.Count(p)
	l, s := latency[tag], service[tag]
	if n <= 0 || l == nil || s == nil || l.TotalCount() != n || s.TotalCount() != n {
		return nil, nil
	}
	return latencyOf(l), latencyOf(s)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// maxOf is the larger of two optional figures.
func maxOf(a, b *float64) *float64 {
	switch {
	case b == nil:
		return a
	case a == nil || *b > *a:
		v := *b
		return &v
	}
	return a
}

func statusRank(s string) int {
	switch s {
	case record.StatusCompleted:
		return 0
	case record.StatusAborted:
		return 1
	}
	return 2
}

// addStats adds the countable fields of b to a; rates add because shards
// run side by side.
func addStats(a *record.Stats, b record.Stats) {
	a.Requests += b.Requests
	a.Successes += b.Successes
	a.Unsent += b.Unsent
	a.BytesIn += b.BytesIn
	a.BytesOut += b.BytesOut
	a.Rate.Target += b.Rate.Target
	a.Rate.Achieved += b.Rate.Achieved
	a.Rate.Sent += b.Rate.Sent
	a.StatusCodes = addCounts(a.StatusCodes, b.StatusCodes)
	a.Errors = addCounts(a.Errors, b.Errors)
	a.ChecksPassed += b.ChecksPassed
	a.ChecksFailed += b.ChecksFailed
	for name, c := range b.Checks {
		if a.Checks == nil {
			a.Checks = map[string]record.CheckCount{}
		}
		acc := a.Checks[name]
		acc.Passed += c.Passed
		acc.Failed += c.Failed
		a.Checks[name] = acc
	}
	if len(b.ExtractFailures) > 0 {
		a.ExtractFailures = addCounts(a.ExtractFailures, b.ExtractFailures)
	}
}

func addCounts(a, b map[string]int64) map[string]int64 {
	if a == nil {
		a = map[string]int64{}
	}
	for k, v := range b {
		a[k] += v
	}
	return a
}

// mergeTimelines adds the shards' timelines second by second; scraped
// server metrics come from shard src (the one that scraped most), the
// Server-Timing split from all.
func mergeTimelines(tls []*record.Timeline, src int) *record.Timeline {
	m := &record.Timeline{Schema: record.Schema, IntervalS: tls[0].IntervalS}
	for si, tl := range tls {
		for i, p := range tl.Points {
			if i >= len(m.Points) {
				m.Points = append(m.Points, record.Point{T: p.T, Warmup: p.Warmup})
			}
			q := &m.Points[i]
			q.TargetRate += p.TargetRate
			q.AchievedRate += p.AchievedRate
			q.Requests += p.Requests
			q.Errors += p.Errors
			q.InFlight += p.InFlight
			if len(p.StatusCodes) > 0 {
				q.StatusCodes = addCounts(q.StatusCodes, p.StatusCodes)
			}
			if len(p.ErrorKinds) > 0 {
				q.ErrorKinds = addCounts(q.ErrorKinds, p.ErrorKinds)
			}
			if p.Server == nil {
				continue
			}
			if q.Server == nil {
				q.Server = map[string]float64{}
			}
			if si == src {
				for k, v := range p.Server {
					if !strings.HasPrefix(k, record.ServerTimingPrefix) && !strings.HasPrefix(k, record.ServerTimingCountPrefix) {
						q.Server[k] = v
					}
				}
			}
			// Every shard measured its own responses' Server-Timing.
			mergeServerTiming(q.Server, p.Server)
		}
	}
	for i := range m.Points {
		if len(m.Points[i].Server) == 0 {
			m.Points[i].Server = nil
		}
	}
	return m
}
