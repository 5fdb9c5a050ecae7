package runner

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
)

// metricStartTime is the process collector's start time, which every
// Prometheus client library exposes: a new value means a new process,
// whatever the counters say. It is the one metric the runner reads for
// itself; every other is a series the run measures (targetSeries).
const metricStartTime = "process_start_time_seconds"

// counterID names one counter series of a scrape: the selector it was read
// for, its label set, and for a histogram's bucket its bound le.
type counterID struct {
	sel    int
	bucket bool
	le     float64
	labels string
}

// reading is one scrape as parsed: every counter series (and histogram
// bucket) the selectors read, each label set as exposed, so that a reset
// of one is not hidden by the growth of another; the gauges, each selector's
// label sets added up.
type reading struct {
	counters map[counterID]float64
	seen     []bool             // by selector: a matching counter or histogram was exposed
	gauges   map[string]float64 // by selector key
	// start is process_start_time_seconds (startSeen when exposed).
	start     float64
	startSeen bool
}

// increase turns cur, read at at (seconds since the run's origin), into a
// record.Scrape of increases since prev, read at since (nil prev: the
// first scrape, which has no increases). The increases are reset-aware as
// Prometheus's increase() is: a restart (process_start_time_seconds
// changed, or any counter series went backwards) restarts every series
// from zero, since counters restart together with their process, so a
// series that happened to grow past its old value in the same interval is
// not taken as growth. A series absent from prev counts from zero (a vector
// shows no series before its first observation).
func increase(prev, cur *reading, sels []*selector, at, since float64) record.Scrape {
	sc := record.Scrape{AtS: at}
	if len(cur.gauges) > 0 {
		sc.Gauges = cur.gauges
	}
	if prev == nil {
		return sc
	}
	sc.SinceS = &since
	if prev.startSeen && cur.startSeen && prev.start != cur.start {
		sc.Restart = metricStartTime
	}
	if sc.Restart == "" {
		var back []string
		for id, v := range cur.counters {
			name := sels[id.sel].metric
			if old, ok := prev.counters[id]; ok && v < old && !slices.Contains(back, name) {
				back = append(back, name)
			}
		}
		slices.Sort(back)
		sc.Restart = strings.Join(back, ", ")
	}
	buckets := map[int]map[float64]float64{}
	for id, v := range cur.counters {
		d := v
		if old, ok := prev.counters[id]; ok && sc.Restart == "" {
			d = v - old
		}
		if id.bucket {
			if buckets[id.sel] == nil {
				buckets[id.sel] = map[float64]float64{}
			}
			buckets[id.sel][id.le] += d
			continue
		}
		if sc.Increases == nil {
			sc.Increases = map[string]float64{}
		}
		sc.Increases[sels[id.sel].key] += d
	}
	for i, s := range sels {
		if !cur.seen[i] {
			continue
		}
		if s.counter {
			if sc.Increases == nil {
				sc.Increases = map[string]float64{}
			}
			sc.Increases[s.key] += 0 // exposed, though it may not have grown
		}
		if s.hist {
			if sc.Buckets == nil {
				sc.Buckets = map[string]record.Buckets{}
			}
			sc.Buckets[s.key] = record.NewBuckets(buckets[i])
		}
	}
	return sc
}

// read adds what selector i reads of family fam (the metric's own, or a
// histogram's or summary's when the selector names its _sum or _count)
// to r.
func (r *reading) read(i int, s *selector, fam *dto.MetricFamily, part string) {
	for _, m := range fam.GetMetric() {
		if !s.matches(m) {
			continue
		}
		labels := labelKey(m)
		if h := m.GetHistogram(); h != nil && part == "" {
			if !s.hist {
				continue // a histogram has no value to read as a counter or gauge
			}
			r.seen[i] = true
			inf := false
			for _, b := range h.GetBucket() {
				inf = inf || math.IsInf(b.GetUpperBound(), 1)
				r.counters[counterID{sel: i, bucket: true, le: b.GetUpperBound(), labels: labels}] += bucketCount(b)
			}
			if !inf {
				r.counters[counterID{sel: i, bucket: true, le: math.Inf(1), labels: labels}] += sampleCount(h)
			}
			continue
		}
		v, ok := partValue(m, part)
		if !ok {
			continue
		}
		if s.counter {
			r.seen[i] = true
			r.counters[counterID{sel: i, labels: labels}] += v
		}
		if s.gauge {
			r.gauges[s.key] += v
		}
	}
}

// partValue is a sample's value: a counter's, gauge's or untyped metric's
// own, or a histogram's or summary's sum or count (part "_sum", "_count").
func partValue(m *dto.Metric, part string) (float64, bool) {
	switch part {
	case "_sum":
		if h := m.GetHistogram(); h != nil {
			return h.GetSampleSum(), true
		}
		if s := m.GetSummary(); s != nil {
			return s.GetSampleSum(), true
		}
		return 0, false
	case "_count":
		if h := m.GetHistogram(); h != nil {
			return sampleCount(h), true
		}
		if s := m.GetSummary(); s != nil {
			return float64(s.GetSampleCount()), true
		}
		return 0, false
	}
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue(), true
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue(), true
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue(), true
	}
	return 0, false
}

func sampleCount(h *dto.Histogram) float64 {
	if h.SampleCountFloat != nil {
		return h.GetSampleCountFloat()
	}
	return float64(h.GetSampleCount())
}

// labelKey is a metric's label set as one string (the parser sorts labels
// by name).
func labelKey(m *dto.Metric) string {
	var b strings.Builder
	for _, l := range m.GetLabel() {
		b.WriteString(l.GetName())
		b.WriteByte('=')
		b.WriteString(strconv.Quote(l.GetValue()))
		b.WriteByte(',')
	}
	return b.String()
}

func bucketCount(b *dto.Bucket) float64 {
	if b.CumulativeCountFloat != nil {
		return b.GetCumulativeCountFloat()
	}
	return float64(b.GetCumulativeCount())
}

// scraper reads the target's Prometheus endpoint.
type scraper struct {
	url     string
	shown   string // url as errors name it: without a password
	sels    []*selector
	client  *http.Client
	headers http.Header

	mu      sync.Mutex // guards the fields below
	scrapes []record.Scrape
	prev    *reading        // the last successful scrape, for the next increase
	failed  []time.Duration // when each failed scrape began, since the origin
	lastErr error
}

func newScraper(url string, headers http.Header, timeout time.Duration) *scraper {
	return &scraper{url: url, shown: redact.URL(url), headers: headers, client: &http.Client{Timeout: timeout}}
}

// scrape takes one sample and keeps it; a failure is counted, not fatal.
func (s *scraper) scrape(ctx context.Context, at time.Duration) {
	cur, err := s.fetch(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failed = append(s.failed, at)
		s.lastErr = err
		return
	}
	s.keep(&cur, at)
}

// keep turns a reading taken at at into a scrape of increases; s.mu held.
func (s *scraper) keep(cur *reading, at time.Duration) {
	since := 0.0
	if n := len(s.scrapes); n > 0 {
		since = s.scrapes[n-1].AtS
	}
	s.scrapes = append(s.scrapes, increase(s.prev, cur, s.sels, at.Seconds(), since))
	s.prev = cur
}

func (s *scraper) fetch(ctx context.Context) (reading, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return reading{}, fmt.Errorf("scraping %s: %w", s.shown, redact.Error(err))
	}
	for k, v := range s.headers {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := s.client.Do(req)
	if err != nil {
		return reading{}, fmt.Errorf("scraping %s: %w", s.shown, redact.Error(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return reading{}, fmt.Errorf("scraping %s: %s", s.shown, resp.Status)
	}
	return parseMetrics(resp.Body, s.sels)
}

// parseMetrics reads from Prometheus text what the selectors read, and
// the process's start time.
func parseMetrics(r io.Reader, sels []*selector) (reading, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return reading{}, fmt.Errorf("parsing metrics: %w", err)
	}
	rd := reading{counters: map[counterID]float64{}, seen: make([]bool, len(sels)), gauges: map[string]float64{}}
	for i, s := range sels {
		if fam, ok := families[s.metric]; ok {
			rd.read(i, s, fam, "")
			continue
		}
		for _, part := range []string{"_sum", "_count"} {
			if base, ok := strings.CutSuffix(s.metric, part); ok {
				if fam, ok := families[base]; ok {
					rd.read(i, s, fam, part)
				}
			}
		}
	}
	if fam, ok := families[metricStartTime]; ok && len(fam.GetMetric()) == 1 {
		rd.start, rd.startSeen = metricValue(fam.GetMetric()[0]), true
	}
	return rd, nil
}

func metricValue(m *dto.Metric) float64 {
	v, _ := partValue(m, "")
	return v
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// run scrapes every interval on clk until ctx ends, plus once when the
// warm-up ends so that the measured window starts from a fresh sample;
// each sample is timed since origin.
func (s *scraper) run(ctx context.Context, clk clock, origin time.Time, interval, warmup time.Duration) {
	tick, stopTick := clk.ticker(interval)
	defer stopTick()
	var warm <-chan time.Time
	if warmup > 0 {
		c, stop := clk.after(warmup)
		defer stop()
		warm = c
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-warm:
			warm = nil
		}
		s.scrape(ctx, clk.since(origin))
	}
}

// snapshot returns the scrapes so far, when each failed scrape began and
// the last error.
func (s *scraper) snapshot() ([]record.Scrape, []time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.scrapes), slices.Clone(s.failed), s.lastErr
}
