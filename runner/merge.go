package runner

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"sort"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/runner/results"
)

// Merge adds the results of shard runs (the same scenario run with --shard
// i/N, at the same time) into one run directory out, exactly: counts add,
// HDR histograms add, and run.json's percentiles are recomputed from the
// sums. The target's metrics are taken from the first shard: every shard
// scraped the same target. out must be absent or empty; when it lies in a
// results root (a directory with a "latest" link), the link is updated.
func Merge(dirs []string, out string) (*results.Run, error) {
	if len(dirs) == 0 {
		return nil, errors.New("merge: no runs given")
	}
	if out == "" {
		return nil, errors.New("merge: the merged run's directory is needed (--out)")
	}
	runs := make([]*results.Run, len(dirs))
	timelines := make([]*results.Timeline, len(dirs))
	for i, d := range dirs {
		r, err := results.ReadRun(d)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		if err := compatible(runs[0], r, dirs[0], d); err != nil {
			return nil, err
		}
		runs[i] = r
		if timelines[i], err = results.ReadTimeline(d); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
	}
	dir, err := makeRunDir("", out, "")
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	latency, err := mergeLatencyLogs(dirs, filepath.Join(dir, results.HlogFile))
	if err != nil {
		return nil, err
	}
	service, serviceLog, err := mergeServiceLogs(dirs)
	if err != nil {
		return nil, err
	}
	run := mergeRuns(runs, filepath.Base(dir), latency, service)
	tl := mergeTimelines(timelines)
	run.Server.ServerTiming = serverTimingSummary(tl.Points)
	if err := results.WriteFile(filepath.Join(dir, results.ServiceHlogFile), serviceLog); err != nil {
		return nil, err
	}
	if err := results.WriteJSON(filepath.Join(dir, results.TimelineFile), tl); err != nil {
		return nil, err
	}
	if err := results.WriteJSON(filepath.Join(dir, results.RunFile), run); err != nil {
		return nil, err
	}
	if hasLatest(filepath.Dir(dir)) {
		if err := linkLatest(dir); err != nil {
			return run, err
		}
	}
	return run, nil
}

// compatible checks that run r (from dir) can be merged with first.
func compatible(first, r *results.Run, firstDir, dir string) error {
	if first == nil {
		return nil
	}
	switch {
	case r.Scenario != first.Scenario:
		return fmt.Errorf("merge: %s ran scenario %q, %s ran %q", dir, r.Scenario, firstDir, first.Scenario)
	case r.Plan.Model != first.Plan.Model || len(r.Plan.Stages) != len(first.Plan.Stages) || len(r.Plan.Requests) != len(first.Plan.Requests):
		return fmt.Errorf("merge: %s ran another plan than %s", dir, firstDir)
	case r.WarmupS != first.WarmupS:
		return fmt.Errorf("merge: %s has a warm-up of %gs, %s of %gs", dir, r.WarmupS, firstDir, first.WarmupS)
	case r.Shard != "" && r.Shard == first.Shard && dir != firstDir:
		return fmt.Errorf("merge: %s and %s are both shard %s", firstDir, dir, r.Shard)
	}
	return nil
}

// sums holds one histogram per series ("" = overall).
type sums map[string]*hdr.Histogram

func (s sums) add(h *hdr.Histogram) {
	acc, ok := s[h.Tag()]
	if !ok {
		acc = hdr.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
		acc.SetTag(h.Tag())
		s[h.Tag()] = acc
	}
	acc.Merge(h)
}

// frameReader reads an interval log one frame at a time: an untagged
// (overall) interval and the tagged ones that follow it.
type frameReader struct {
	r       *hdr.HistogramLogReader
	pending *hdr.Histogram
	err     error
}

func (f *frameReader) next() []*hdr.Histogram {
	var frame []*hdr.Histogram
	if f.pending != nil {
		frame, f.pending = append(frame, f.pending), nil
	}
	for f.err == nil {
		h, err := f.r.NextIntervalHistogram()
		if err != nil && !errors.Is(err, io.EOF) {
			f.err = err
			break
		}
		if h == nil {
			break
		}
		if h.Tag() == "" && len(frame) > 0 {
			f.pending = h
			break
		}
		frame = append(frame, h)
	}
	return frame
}

// mergeLatencyLogs adds the shards' latency logs frame by frame (frame i of
// every shard is second i of its measured window) into path, and returns the
// whole-run sums. Only one frame per shard is held at a time.
func mergeLatencyLogs(dirs []string, path string) (sums, error) {
	readers := make([]*frameReader, len(dirs))
	for i, d := range dirs {
		data, err := os.Open(filepath.Join(d, results.HlogFile))
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		defer data.Close()
		readers[i] = &frameReader{r: hdr.NewHistogramLogReader(bufio.NewReader(data))}
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
		for i, fr := range readers {
			hs := fr.next()
			if fr.err != nil {
				return nil, fmt.Errorf("merge: reading %s: %w", filepath.Join(dirs[i], results.HlogFile), fr.err)
			}
			for _, h := range hs {
				if startMs == 0 {
					startMs, endMs = h.StartTimeMs(), h.EndTimeMs()
				}
				frame.add(h)
				total.add(h)
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
	w.SetBaseTime(ms)
	err := errors.Join(w.OutputLogFormatVersion(), w.OutputComment("[loadgate: "+comment+"]"),
		w.OutputStartTime(ms), w.OutputBaseTime(ms), w.OutputLegend())
	if err != nil {
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
		path := filepath.Join(d, results.ServiceHlogFile)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("merge: %w", err)
		}
		r := hdr.NewHistogramLogReader(bytes.NewReader(data))
		for {
			h, err := r.NextIntervalHistogram()
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, nil, fmt.Errorf("merge: reading %s: %w", path, err)
			}
			if h == nil {
				break
			}
			if startMs == 0 || h.StartTimeMs() < startMs {
				startMs = h.StartTimeMs()
			}
			endMs = max(endMs, h.EndTimeMs())
			total.add(h)
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
func mergeRuns(runs []*results.Run, id string, latency, service sums) *results.Run {
	first := runs[0]
	m := &results.Run{
		Schema:      results.Schema,
		ID:          id,
		Scenario:    first.Scenario,
		Description: first.Description,
		Status:      results.StatusCompleted,
		Target:      first.Target,
		Profile:     first.Profile,
		Started:     first.Started,
		Ended:       first.Ended,
		WarmupS:     first.WarmupS,
		Commit:      first.Commit,
		Host:        first.Host,
		Version:     first.Version,
		Plan:        first.Plan,
		Server:      first.Server,
		Endpoints:   map[string]results.Stats{},
		Gates:       []results.Gate{},
	}
	m.Plan.Stages = append([]results.Stage(nil), first.Plan.Stages...)
	for i := range m.Plan.Stages {
		m.Plan.Stages[i].From, m.Plan.Stages[i].To = 0, 0
	}
	m.Warnings = append(m.Warnings, fmt.Sprintf("merged from %d shard runs; server metrics are those scraped by the first", len(runs)))
	for _, r := range runs {
		if r.Started.Before(m.Started) {
			m.Started = r.Started
		}
		if r.Ended.After(m.Ended) {
			m.Ended = r.Ended
		}
		if statusRank(r.Status) > statusRank(m.Status) {
			m.Status = r.Status
		}
		for i, st := range r.Plan.Stages {
			m.Plan.Stages[i].From += st.From
			m.Plan.Stages[i].To += st.To
		}
		addStats(&m.Overall, r.Overall)
		for name, st := range r.Endpoints {
			acc := m.Endpoints[name]
			addStats(&acc, st)
			m.Endpoints[name] = acc
		}
		for _, w := range r.Warnings {
			m.Warnings = append(m.Warnings, fmt.Sprintf("shard %s: %s", r.Shard, w))
		}
	}
	finish := func(st *results.Stats, tag string) {
		if h, ok := latency[tag]; ok {
			st.LatencyUS = latencySummary(h)
		}
		if h, ok := service[tag]; ok {
			st.ServiceTimeUS = latencySummary(h)
		}
		if st.Requests > 0 {
			st.ErrorRate = float64(st.Requests-st.Successes) / float64(st.Requests)
		}
	}
	finish(&m.Overall, "")
	for name, st := range m.Endpoints {
		finish(&st, name)
		m.Endpoints[name] = st
	}
	return m
}

func statusRank(s string) int {
	switch s {
	case results.StatusCompleted:
		return 0
	case results.StatusAborted:
		return 1
	}
	return 2
}

// addStats adds the countable fields of b to a; rates add because shards
// run side by side.
func addStats(a *results.Stats, b results.Stats) {
	a.Requests += b.Requests
	a.Successes += b.Successes
	a.Unsent += b.Unsent
	a.BytesIn += b.BytesIn
	a.BytesOut += b.BytesOut
	a.Rate.Target += b.Rate.Target
	a.Rate.Achieved += b.Rate.Achieved
	a.StatusCodes = addCounts(a.StatusCodes, b.StatusCodes)
	a.Errors = addCounts(a.Errors, b.Errors)
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
// server metrics come from the first shard, the Server-Timing split from all.
func mergeTimelines(tls []*results.Timeline) *results.Timeline {
	m := &results.Timeline{Schema: results.Schema, IntervalS: tls[0].IntervalS}
	for si, tl := range tls {
		for i, p := range tl.Points {
			if i >= len(m.Points) {
				m.Points = append(m.Points, results.Point{T: p.T, Warmup: p.Warmup})
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
			switch {
			case si == 0 && p.Server != nil:
				q.Server = maps.Clone(p.Server)
			case si > 0 && p.Server != nil:
				// Scraped metrics are the first shard's; every shard
				// measured its own responses' Server-Timing.
				if q.Server == nil {
					q.Server = map[string]float64{}
				}
				mergeServerTiming(q.Server, p.Server)
			}
		}
	}
	return m
}
