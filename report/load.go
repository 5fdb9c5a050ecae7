package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
)

// interval is one second (one hlog interval) of one series, summarised.
// Latencies are in microseconds.
type interval struct {
	T                             float64 // seconds since the attack started
	Count                         int64
	P50, P90, P95, P99, P999, Max float64
}

// series is what the latency log says about one series (the whole run, or
// one endpoint).
type series struct {
	Intervals []interval
	// Total is the sum of every interval: the distribution over the
	// measured window.
	Total *hdr.Histogram
	// hists are the intervals' histograms, kept for the whole run's series
	// of a run with faults (a fault's window adds them up).
	hists []*hdr.PackedHistogram
}

// runData is one run directory, read.
type runData struct {
	Dir      string
	Run      *record.Run
	Timeline *record.Timeline // nil when timeline.json is absent
	// Series by tag (record.Tag): "" is the whole run, others are
	// endpoints, all requests; "chat:ok", ":failed" … their populations.
	// Empty when latency.hlog is absent; read a population through
	// seriesOf.
	Series map[string]*series
	// Stream holds stream.hlog's series by tag (record.StreamTag); nil
	// when the run has no stream log.
	Stream map[string]*series
	// Notes are problems with optional files, said in the report.
	Notes []string
}

// Tags lists the endpoint tags, sorted, without the overall series and
// without populations.
func (d *runData) Tags() []string {
	var tags []string
	for t := range d.Series {
		if ep, p := record.SplitTag(t); ep != "" && p == record.All {
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	return tags
}

// seriesOf is the log's series of endpoint ("" the whole run) and
// population p, or nil when the log does not have it. A log written before
// latencies were split by outcome has only all requests: they are the
// successful ones exactly when run.json counts no failure there.
func (d *runData) seriesOf(endpoint string, p record.Population) *series {
	if s := d.Series[record.Tag(endpoint, p)]; s != nil || p == record.All {
		return s
	}
	for t := range d.Series {
		if _, tp := record.SplitTag(t); tp != record.All {
			return nil // a split log without this population: it has none
		}
	}
	st := &d.Run.Overall
	if endpoint != "" {
		s, ok := d.Run.Endpoints[endpoint]
		if !ok {
			return nil
		}
		st = &s
	}
	if st.Count(p) > 0 && st.Count(p) == st.Count(record.All) {
		return d.Series[endpoint]
	}
	return nil
}

// redactRun hides the credentials of the URLs a run.json may hold: the
// runner writes them redacted, but a run.json of a loadgate from before
// that holds the target's password and the metrics URL's token as given, and
// every output (report.html, summary.md, junit.xml, the gate table) is drawn
// from what is read here. run.json itself is left as it is (Render and Gate
// write nothing there; Finish writes back the redacted run).
func redactRun(run *record.Run) {
	run.Target = redact.URL(run.Target)
	run.Server.MetricsURL = redact.URL(run.Server.MetricsURL)
	for i, w := range run.Warnings {
		run.Warnings[i] = redact.URL(w)
	}
	for i, w := range run.Expected {
		run.Expected[i] = redact.URL(w)
	}
	for i := range run.Faults {
		f := &run.Faults[i]
		f.Error, f.UndoError = redact.URL(f.Error), redact.URL(f.UndoError)
	}
}

// loadRun reads a run directory. run.json must be there and sound;
// timeline.json and latency.hlog must be sound when present (a corrupt file
// is an error naming it), and their absence is a note.
func loadRun(dir string) (*runData, error) {
	run, err := record.ReadRun(dir)
	if err != nil {
		return nil, err
	}
	tl, err := record.ReadTimeline(dir)
	switch {
	case errors.Is(err, record.ErrMissing):
		tl = nil
	case err != nil:
		return nil, err
	}
	return loadWith(dir, run, tl)
}

// loadWith reads the interval log of the run directory dir beside the run
// and timeline given (nil when timeline.json is missing): the run as its
// owner holds it in memory before writing it, or as loadRun read it.
func loadWith(dir string, run *record.Run, tl *record.Timeline) (*runData, error) {
	redactRun(run)
	d := &runData{Dir: dir, Run: run, Timeline: tl, Series: map[string]*series{}}
	if tl == nil {
		d.Notes = append(d.Notes, record.TimelineFile+" is missing: no throughput, error or server charts")
	}
	path := filepath.Join(dir, record.HlogFile)
	f, err := record.OpenHlog(path)
	switch {
	case errors.Is(err, record.ErrMissing):
		d.Notes = append(d.Notes, record.HlogFile+" is missing: no latency charts")
		return d, nil
	case err != nil:
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if run.Status == record.StatusRunning {
		// A run killed while it wrote the log may have left its last line
		// cut short: only whole lines are read.
		size, whole, err := wholeLines(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if whole < size {
			d.Notes = append(d.Notes, record.HlogFile+"'s last line was cut short when the run was killed: it is left out")
		}
		r = io.NewSectionReader(f, 0, whole)
	}
	if err := d.readHlog(r, path); err != nil {
		return nil, err
	}
	if err := d.readStreamLog(); err != nil {
		return nil, err
	}
	return d, nil
}

// wholeLines returns the size of f and the length of its whole lines: up
// to and including its last newline.
func wholeLines(f *os.File) (size, whole int64, err error) {
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	size = st.Size()
	buf := make([]byte, 4096)
	for end := size; end > 0; {
		start := max(end-int64(len(buf)), 0)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return size, start + int64(i) + 1, nil
		}
		end = start
	}
	return size, 0, nil
}

// readHlog reads the interval log (record.ReadHlog) into per-tag series.
// Interval times are placed on the timeline's clock: the first interval
// starts where the measured window does (after the warm-up). A log that
// does not hold the requests run.json counts gets a note: its charts miss
// them.
func (d *runData) readHlog(r io.Reader, path string) error {
	offset := d.Run.WarmupS
	if d.Timeline != nil {
		for _, p := range d.Timeline.Points {
			if !p.Warmup {
				offset = p.T
				break
			}
		}
	}
	// Decoding and summarising run in one goroutine, adding up the totals
	// in this one: on an hour-long log they take about the same time.
	decoded := make(chan decodedInterval, 64)
	errc := make(chan error, 1)
	go func() {
		defer close(decoded)
		errc <- record.ReadHlog(r, path, func(iv record.HlogInterval) error {
			decoded <- decodedInterval{tag: iv.Tag, start: iv.Start, h: iv.Hist, iv: summarisePacked(iv.Hist)}
			return nil
		})
	}()
	first, seen := 0.0, false
	acc := map[string]*hdr.Histogram{}
	var mergeErr error
	for di := range decoded {
		if !seen {
			first, seen = di.start, true
		}
		s := d.Series[di.tag]
		if s == nil {
			s = &series{}
			d.Series[di.tag] = s
		}
		di.iv.T = offset + math.Round((di.start-first)*1000)/1000
		s.Intervals = append(s.Intervals, di.iv)
		if di.tag == "" && len(d.Run.Faults) > 0 {
			s.hists = append(s.hists, di.h)
		}
		// Intervals are decoded sparse (a second holds few distinct
		// buckets) and added bucket by bucket into one dense total per tag:
		// no dense histogram per interval, no walk over empty buckets.
		a := acc[di.tag]
		if a == nil {
			a = hdr.New(di.h.LowestTrackableValue(), di.h.HighestTrackableValue(), int(di.h.SignificantFigures()))
			acc[di.tag] = a
		}
		if dropped := di.h.MergeInto(a); dropped > 0 && mergeErr == nil {
			// Keep draining: the decoder must not block on a full channel.
			mergeErr = fmt.Errorf("%s is corrupt: the interval at %gs has %d values outside the range of the first interval of its series", path, di.start, dropped)
		}
	}
	if err := <-errc; err != nil {
		return err
	}
	if mergeErr != nil {
		return mergeErr
	}
	counts := map[string]int64{}
	for tag, h := range acc {
		d.Series[tag].Total = h
		counts[tag] = h.TotalCount()
	}
	// A killed run's run.json is a checkpoint, a little behind its log.
	if err := d.Run.CheckCounts(counts, record.HlogFile); err != nil && d.Run.Status != record.StatusRunning {
		d.Notes = append(d.Notes, err.Error()+": the latency charts and the figures read from the log miss the difference")
	}
	return nil
}

// decodedInterval is one line of an interval log, decoded and summarised.
type decodedInterval struct {
	tag   string
	start float64 // seconds, as written (relative to the log's base time)
	h     *hdr.PackedHistogram
	iv    interval // without T
}

// summarisePacked gives a decoded interval's count and percentiles; the
// library's packed percentiles are bit-identical to the dense ones.
func summarisePacked(h *hdr.PackedHistogram) interval {
	iv := interval{Count: h.TotalCount()}
	if iv.Count == 0 {
		return iv
	}
	v := h.ValueAtPercentilesSlice([]float64{50, 90, 95, 99, 99.9, 100})
	iv.P50, iv.P90, iv.P95, iv.P99, iv.P999, iv.Max = float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3]), float64(v[4]), float64(v[5])
	return iv
}
