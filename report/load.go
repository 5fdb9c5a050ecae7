package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

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
	if err := d.readHlog(f, path); err != nil {
		return nil, err
	}
	return d, nil
}

// readHlog reads the interval log into per-tag series. Interval times are
// placed on the timeline's clock: the first interval starts where the
// measured window does (after the warm-up).
func (d *runData) readHlog(r io.Reader, path string) error {
	lr := hdr.NewHistogramLogReader(bufio.NewReaderSize(r, 64*1024))
	var firstMs int64 = -1
	offset := d.Run.WarmupS
	if d.Timeline != nil {
		for _, p := range d.Timeline.Points {
			if !p.Warmup {
				offset = p.T
				break
			}
		}
	}
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("%s is corrupt: %w", path, err)
		}
		if h == nil {
			break
		}
		if firstMs < 0 {
			firstMs = h.StartTimeMs()
		}
		s := d.Series[h.Tag()]
		if s == nil {
			s = &series{}
			d.Series[h.Tag()] = s
		}
		t := offset + float64(h.StartTimeMs()-firstMs)/1000
		s.Intervals = append(s.Intervals, summarise(h, t))
		if s.Total == nil {
			s.Total = hdr.New(1, max(h.HighestTrackableValue(), 2), int(h.SignificantFigures()))
		}
		s.Total.Merge(h)
	}
	return nil
}

func summarise(h *hdr.Histogram, t float64) interval {
	iv := interval{T: t, Count: h.TotalCount()}
	if iv.Count == 0 {
		return iv
	}
	v := h.ValueAtPercentiles([]float64{50, 90, 95, 99, 99.9})
	iv.P50, iv.P90, iv.P95, iv.P99, iv.P999 = float64(v[50]), float64(v[90]), float64(v[95]), float64(v[99]), float64(v[99.9])
	iv.Max = float64(h.Max())
	return iv
}
