package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/runner/results"
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
}

// runData is one run directory, read.
type runData struct {
	Dir      string
	Run      *results.Run
	Timeline *results.Timeline // nil when timeline.json is absent
	// Series by tag: "" is the whole run, others are endpoints. Empty when
	// latency.hlog is absent.
	Series map[string]*series
	// Notes are problems with optional files, said in the report.
	Notes []string
}

// Tags lists the endpoint tags, sorted, without the overall series.
func (d *runData) Tags() []string {
	var tags []string
	for t := range d.Series {
		if t != "" {
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	return tags
}

// loadRun reads a run directory. run.json must be there and sound;
// timeline.json and latency.hlog must be sound when present (a corrupt file
// is an error naming it), and their absence is a note.
func loadRun(dir string) (*runData, error) {
	run, err := results.ReadRun(dir)
	if err != nil {
		return nil, err
	}
	d := &runData{Dir: dir, Run: run, Series: map[string]*series{}}
	tl, err := results.ReadTimeline(dir)
	switch {
	case errors.Is(err, results.ErrMissing):
		d.Notes = append(d.Notes, results.TimelineFile+" is missing: no throughput, error or server charts")
	case err != nil:
		return nil, err
	default:
		d.Timeline = tl
	}
	path := filepath.Join(dir, results.HlogFile)
	f, err := os.Open(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		d.Notes = append(d.Notes, results.HlogFile+" is missing: no latency charts")
		return d, nil
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	var r io.Reader = f
	if run.Status == results.StatusRunning {
		// A run killed while it wrote the log may have left its last line
		// cut short: only whole lines are read.
		size, whole, err := wholeLines(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if whole < size {
			d.Notes = append(d.Notes, results.HlogFile+"'s last line was cut short when the run was killed: it is left out")
		}
		r = io.NewSectionReader(f, 0, whole)
	}
	if err := d.readHlog(r, path); err != nil {
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

// readHlog reads the interval log into per-tag series. Interval times are
// placed on the timeline's clock: the first interval starts where the
// measured window does (after the warm-up).
//
// It parses the log's lines itself rather than through
// hdr.HistogramLogReader, which computes every interval's min and max by a
// walk over all its buckets (most of the time of an hour-long report) and
// skips malformed lines silently; here a malformed line is an error naming
// the file and line.
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
		errc <- decodeHlog(r, path, decoded)
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
	for tag, h := range acc {
		d.Series[tag].Total = h
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

// decodeHlog sends every interval of the log to out, in order.
func decodeHlog(r io.Reader, path string, out chan<- decodedInterval) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '"' {
			continue // comments, headers, the legend
		}
		tag := ""
		if rest, ok := strings.CutPrefix(line, "Tag="); ok {
			t, rest, ok := strings.Cut(rest, ",")
			if !ok {
				return fmt.Errorf("%s:%d is corrupt: a tag with no interval", path, n)
			}
			tag, line = t, rest
		}
		f := strings.SplitN(line, ",", 4)
		if len(f) != 4 {
			return fmt.Errorf("%s:%d is corrupt: want start,length,max,histogram", path, n)
		}
		start, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return fmt.Errorf("%s:%d is corrupt: start %q: %w", path, n, f[0], err)
		}
		h, err := hdr.DecodePacked([]byte(strings.TrimSpace(f[3])))
		if err != nil {
			return fmt.Errorf("%s:%d is corrupt: %w", path, n, err)
		}
		out <- decodedInterval{tag: tag, start: start, h: h, iv: summarisePacked(h)}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
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
