package record

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Population is the set of requests a latency describes, by outcome.
type Population string

// The populations of every series (the whole run, each endpoint).
const (
	// All is every measured request that was sent (unsent ones have no latency).
	All Population = "all"
	// OK is the successful requests: an expected status code.
	OK Population = "ok"
	// Failed is the rest: unexpected statuses, timeouts, refused or reset
	// connections, other transport errors.
	Failed Population = "failed"
)

// Populations lists the populations in the order logs and tables show them.
var Populations = [...]Population{All, OK, Failed}

// Describe says in words which requests p holds.
func (p Population) Describe() string {
	switch p {
	case OK:
		return "successful requests"
	case Failed:
		return "failed requests"
	}
	return "all requests"
}

// Tag is the interval-log tag of endpoint's population p: the endpoint
// name for all its requests ("" for the whole run), with ":ok" or
// ":failed" after it for a population ("chat:ok", ":failed"). Request
// names cannot hold a colon, so the tags never collide.
func Tag(endpoint string, p Population) string {
	if p == All || p == "" {
		return endpoint
	}
	return endpoint + ":" + string(p)
}

// SplitTag is the inverse of Tag. A tag that does not end in ":ok" or
// ":failed" is an endpoint's (or the whole run's) all requests.
func SplitTag(tag string) (endpoint string, p Population) {
	if i := strings.LastIndexByte(tag, ':'); i >= 0 {
		if pop := Population(tag[i+1:]); pop == OK || pop == Failed {
			return tag[:i], pop
		}
	}
	return tag, All
}

// Count is how many measured requests of population p there are: the
// values its latency histograms hold. Unsent requests count as failed in
// Requests but were never timed.
func (s *Stats) Count(p Population) int64 {
	switch p {
	case OK:
		return s.Successes
	case Failed:
		return s.Requests - s.Successes - s.Unsent
	}
	return s.Requests - s.Unsent
}

// LatencyOf is the corrected latency of population p; ok is false when the
// population has no measured request, or when run.json was written before
// latencies were split by outcome and p cannot be told exactly from all.
func (s *Stats) LatencyOf(p Population) (Latency, bool) {
	return s.pick(p, s.LatencyUS, s.LatencyOKUS, s.LatencyFailedUS)
}

// ServiceTimeOf is LatencyOf for the service time (uncorrected latency).
func (s *Stats) ServiceTimeOf(p Population) (Latency, bool) {
	return s.pick(p, s.ServiceTimeUS, s.ServiceTimeOKUS, s.ServiceTimeFailedUS)
}

func (s *Stats) pick(p Population, all Latency, ok, failed *Latency) (Latency, bool) {
	if s.Count(p) <= 0 {
		return Latency{}, false
	}
	var l *Latency
	switch p {
	case All:
		return all, true
	case OK:
		l = ok
	case Failed:
		l = failed
	default:
		return Latency{}, false
	}
	if l != nil {
		return *l, true
	}
	// A run.json from before the split: exact only when the population is
	// the whole of all.
	if s.Count(p) == s.Count(All) {
		return all, true
	}
	return Latency{}, false
}

// split reports whether s was written with latencies split by outcome.
func (s *Stats) split() bool {
	return s.LatencyOKUS != nil || s.LatencyFailedUS != nil
}

// WriteHlogHeader writes the header every interval log loadgate writes
// starts with: the format version, the comment "[loadgate: <comment>]" (what
// the log holds, in what unit), the start and base time (baseMs, in
// milliseconds since the epoch; the intervals' start times are written
// relative to it) and the legend.
func WriteHlogHeader(w *hdr.HistogramLogWriter, baseMs int64, comment string) error {
	w.SetBaseTime(baseMs)
	return errors.Join(w.OutputLogFormatVersion(), w.OutputComment("[loadgate: "+comment+"]"),
		w.OutputStartTime(baseMs), w.OutputBaseTime(baseMs), w.OutputLegend())
}

// HlogInterval is one interval of an interval log (latency.hlog,
// service_time.hlog).
type HlogInterval struct {
	Tag    string  // see Tag
	Start  float64 // seconds since the log's base time, as written
	Length float64 // seconds, as written
	// StartMs and EndMs are the interval's bounds in milliseconds since the
	// epoch, computed from the base time as hdrhistogram-go's log reader does.
	StartMs, EndMs int64
	Line           int // 1-based line number in the log
	Hist           *hdr.PackedHistogram
}

// HlogReader reads an interval log one interval at a time, strictly: a
// malformed line is an error naming the file and the line (the library's
// reader skips it silently). It is the one reader of loadgate's interval
// logs, for the report, merge and the checks.
//
// It parses the lines itself rather than through hdr.HistogramLogReader,
// which also computes every interval's min and max by a walk over all its
// buckets (most of the time of reading an hour-long log). Intervals are
// decoded sparse.
type HlogReader struct {
	sc   *bufio.Scanner
	path string
	n    int
	// The header's times, in seconds since the epoch.
	startSec, baseSec float64
	sawStart, sawBase bool
}

// NewHlogReader reads the log in r; path names it in errors. It reads no
// more than MaxHlogBytes of r: open the file with OpenHlog, which refuses
// what is not a regular file before a byte is read.
func NewHlogReader(r io.Reader, path string) *HlogReader {
	return newHlogReader(r, path, MaxHlogBytes)
}

func newHlogReader(r io.Reader, path string, limit int64) *HlogReader {
	sc := bufio.NewScanner(&capped{r: r, path: path, limit: limit})
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	return &HlogReader{sc: sc, path: path}
}

// Next returns the next interval, or io.EOF after the last. Comments,
// headers and the legend are skipped.
func (r *HlogReader) Next() (HlogInterval, error) {
	for r.sc.Scan() {
		r.n++
		line := r.sc.Text()
		if line == "" || line[0] == '"' {
			continue // the legend
		}
		if line[0] == '#' {
			r.header(line)
			continue
		}
		return r.interval(line)
	}
	if err := r.sc.Err(); err != nil {
		return HlogInterval{}, fmt.Errorf("reading %s: %w", r.path, err)
	}
	return HlogInterval{}, io.EOF
}

// header notes the start and base time lines ("#[BaseTime: 1700000000.000
// (seconds since epoch)]"); other comments say nothing the reader needs.
func (r *HlogReader) header(line string) {
	for _, h := range []struct {
		prefix string
		v      *float64
		saw    *bool
	}{{"#[StartTime: ", &r.startSec, &r.sawStart}, {"#[BaseTime: ", &r.baseSec, &r.sawBase}} {
		if rest, ok := strings.CutPrefix(line, h.prefix); ok {
			num, _, _ := strings.Cut(rest, " ")
			if v, err := strconv.ParseFloat(strings.TrimSuffix(num, "]"), 64); err == nil {
				*h.v, *h.saw = v, true
			}
		}
	}
}

func (r *HlogReader) interval(line string) (HlogInterval, error) {
	path, n := r.path, r.n
	tag := ""
	if rest, ok := strings.CutPrefix(line, "Tag="); ok {
		t, rest, ok := strings.Cut(rest, ",")
		if !ok {
			return HlogInterval{}, fmt.Errorf("%s:%d is corrupt: a tag with no interval", path, n)
		}
		tag, line = t, rest
	}
	f := strings.SplitN(line, ",", 4)
	if len(f) != 4 {
		return HlogInterval{}, fmt.Errorf("%s:%d is corrupt: want start,length,max,histogram", path, n)
	}
	start, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return HlogInterval{}, fmt.Errorf("%s:%d is corrupt: start %q: %w", path, n, f[0], err)
	}
	length, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		return HlogInterval{}, fmt.Errorf("%s:%d is corrupt: length %q: %w", path, n, f[1], err)
	}
	h, err := hdr.DecodePacked([]byte(strings.TrimSpace(f[3])))
	if err != nil {
		return HlogInterval{}, fmt.Errorf("%s:%d is corrupt: %w", path, n, err)
	}
	// As hdrhistogram-go's reader: without a base time line, start times
	// more than a year before the start time are relative to it, others
	// absolute.
	if !r.sawStart {
		r.startSec, r.sawStart = start, true
	}
	if !r.sawBase {
		r.baseSec, r.sawBase = 0, true
		if start < r.startSec-365*24*3600 {
			r.baseSec = r.startSec
		}
	}
	abs := start + r.baseSec
	return HlogInterval{Tag: tag, Start: start, Length: length, Line: n, Hist: h,
		StartMs: int64(abs * 1000), EndMs: int64((abs + length) * 1000)}, nil
}

// ReadHlog calls each for every interval of the interval log in r, in
// order (HlogReader), and stops at the first error each returns.
func ReadHlog(r io.Reader, path string, each func(HlogInterval) error) error {
	hr := NewHlogReader(r, path)
	for {
		iv, err := hr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := each(iv); err != nil {
			return err
		}
	}
}

// HlogCounts reads the interval log at path and returns how many values
// the intervals of each tag hold in all.
func HlogCounts(path string) (map[string]int64, error) {
	f, err := OpenHlog(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	counts := map[string]int64{}
	err = ReadHlog(f, path, func(iv HlogInterval) error {
		counts[iv.Tag] += iv.Hist.TotalCount()
		return nil
	})
	return counts, err
}

// CheckCounts compares the values an interval log holds per tag (counts,
// as HlogCounts returns them) with run.json's: for the whole run and each
// endpoint, all measured requests, and the successful and failed ones when
// the run or the log splits them. file names the log in the error, which
// lists every difference.
func (r *Run) CheckCounts(counts map[string]int64, file string) error {
	split := r.Overall.split()
	for tag := range counts {
		if _, p := SplitTag(tag); p != All {
			split = true
		}
	}
	series := map[string]*Stats{"": &r.Overall}
	for name := range r.Endpoints {
		s := r.Endpoints[name]
		series[name] = &s
		split = split || s.split()
	}
	// A flow's iterations are a series of their own, tagged like an
	// endpoint "<flow>.iteration".
	for name := range r.Flows {
		s := r.Flows[name].Iteration
		series[name+".iteration"] = &s
		split = split || s.split()
	}
	var probs []string
	known := map[string]bool{}
	for _, name := range sortedNames(series) {
		s := series[name]
		for _, p := range Populations {
			tag := Tag(name, p)
			known[tag] = true
			if p != All && !split {
				continue
			}
			if want, got := s.Count(p), counts[tag]; want != got {
				probs = append(probs, fmt.Sprintf("%s: %s holds %d, run.json counts %d", seriesWords(name, p), file, got, want))
			}
		}
	}
	for _, tag := range sortedNames(counts) {
		if !known[tag] && counts[tag] > 0 {
			probs = append(probs, fmt.Sprintf("%s holds %d values tagged %q, which run.json does not know", file, counts[tag], tag))
		}
	}
	if len(probs) > 0 {
		return fmt.Errorf("%s disagrees with %s: %s", file, RunFile, strings.Join(probs, "; "))
	}
	return nil
}

// CheckLogs checks that dir's latency.hlog and service_time.hlog hold
// exactly the requests run.json counts (see CheckCounts).
func CheckLogs(dir string) error {
	run, err := ReadRun(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range []string{HlogFile, ServiceHlogFile} {
		counts, err := HlogCounts(filepath.Join(dir, name))
		if err == nil {
			err = run.CheckCounts(counts, name)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func seriesWords(endpoint string, p Population) string {
	if endpoint == "" {
		return "whole run, " + p.Describe()
	}
	return "endpoint " + endpoint + ", " + p.Describe()
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
