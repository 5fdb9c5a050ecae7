package runner

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"
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

// Metric names read from the target (docs/CONTRACT.md).
const (
	metricCacheRequests = "loadgate_cache_requests_total"
	metricRSS           = "process_resident_memory_bytes"
	metricGoroutines    = "go_goroutines"
	metricStartTime     = "process_start_time_seconds"
	metricPoolAcquired  = "loadgate_db_pool_acquired_conns"
	metricPoolMax       = "loadgate_db_pool_max_conns"
	metricDBQuery       = "loadgate_db_query_duration_seconds"
	metricPoolWait      = "loadgate_db_pool_acquire_wait_seconds_total"
	metricPoolEmpty     = "loadgate_db_pool_empty_acquire_total"
)

// counter indexes of a sample: counters summed over their label sets and
// reported as increases.
const (
	counterPoolWait = iota
	counterPoolEmpty
	numCounters
)

var counterMetrics = [numCounters]string{metricPoolWait, metricPoolEmpty}

// gauge indexes of a sample.
const (
	gaugeRSS = iota
	gaugeGoroutines
	gaugePoolAcquired
	gaugePoolMax
	numGauges
)

var gaugeMetrics = [numGauges]string{metricRSS, metricGoroutines, metricPoolAcquired, metricPoolMax}

// Timeline keys of the server map (record.Point.Server).
var gaugeKeys = [numGauges]string{record.ServerRSSBytes, record.ServerGoroutines, record.ServerDBPoolAcquired, record.ServerDBPoolMax}

// role says what a counter series counts.
type role uint8

const (
	roleHit     role = iota // loadgate_cache_requests_total{result="hit"}
	roleMiss                // loadgate_cache_requests_total{result="miss"}
	roleCounter             // counterMetrics[idx]
	roleBucket              // a cumulative bucket of the DB query histogram, bound le
	roleSum                 // the DB query histogram's sum
)

// seriesID names one counter series of a scrape: its role and label set
// (for a bucket, without le).
type seriesID struct {
	role   role
	idx    int // counterMetrics index (roleCounter)
	le     float64
	labels string
}

// reading is one scrape as parsed: every counter series loadgate uses,
// each as exposed, and the gauges. Counters are kept per series so that a
// reset of one is not hidden by the growth of another.
type reading struct {
	counters    map[seriesID]float64
	cacheSeen   bool
	counterSeen [numCounters]bool
	dbSeen      bool
	gauges      [numGauges]float64
	gaugeSeen   [numGauges]bool
	// start is process_start_time_seconds (startSeen when exposed): a new
	// value means a new process, whatever the counters say.
	start     float64
	startSeen bool
	// series are the target series the scenario's gates read.
	series *seriesReading
}

// sample is one scrape turned into increases since the scrape before it
// (none for the first): at is the time since the run's origin, since the
// previous scrape's. The increases are reset-aware as Prometheus's
// increase() is: a counter that reads lower than before restarted from
// zero, so its increase is the new value.
type sample struct {
	at, since    time.Duration
	first        bool
	cacheSeen    bool
	hits, misses float64 // summed over every cache
	gauges       [numGauges]float64
	gaugeSeen    [numGauges]bool
	counters     [numCounters]float64
	counterSeen  [numCounters]bool
	dbQuery      *histogram // nil when the target has no DB query histogram
	// restart names the sign of a target restart between since and at
	// ("" when none): metricStartTime, or the metrics that went backwards.
	restart string
	// series are the queried target series (nil without queries).
	series *seriesSample
}

// increase turns cur, read at at, into the sample of increases since prev
// (nil for the first scrape). A restart (process_start_time_seconds changed,
// or any counter series went backwards) restarts every series from zero:
// counters restart together with their process, so a series that happened
// to grow past its old value in the same interval is not taken as growth.
// A series absent from prev counts from zero (a vector shows no series
// before its first observation).
func increase(prev *reading, cur *reading, at, since time.Duration) sample {
	smp := sample{at: at, since: since, cacheSeen: cur.cacheSeen, gauges: cur.gauges, gaugeSeen: cur.gaugeSeen, counterSeen: cur.counterSeen}
	if prev == nil {
		smp.first = true
		smp.series = increaseSeries(nil, cur.series, false)
		return smp
	}
	if prev.startSeen && cur.startSeen && prev.start != cur.start {
		smp.restart = metricStartTime
	}
	if smp.restart == "" {
		var back []string
		for id, v := range cur.counters {
			if old, ok := prev.counters[id]; ok && v < old && !slices.Contains(back, id.metric()) {
				back = append(back, id.metric())
			}
		}
		slices.Sort(back)
		smp.restart = strings.Join(back, ", ")
	}
	var db map[float64]float64
	dbSum := 0.0
	for id, v := range cur.counters {
		d := v
		if old, ok := prev.counters[id]; ok && smp.restart == "" {
			d = v - old
		}
		switch id.role {
		case roleHit:
			smp.hits += d
		case roleMiss:
			smp.misses += d
		case roleCounter:
			smp.counters[id.idx] += d
		case roleBucket:
			if db == nil {
				db = map[float64]float64{}
			}
			db[id.le] += d
		case roleSum:
			dbSum += d
		}
	}
	if cur.dbSeen {
		smp.dbQuery = newHistogram(db, dbSum)
	}
	smp.series = increaseSeries(prev.series, cur.series, smp.restart != "")
	return smp
}

// metric is the name of the metric a series belongs to.
func (id seriesID) metric() string {
	switch id.role {
	case roleHit, roleMiss:
		return metricCacheRequests
	case roleCounter:
		return counterMetrics[id.idx]
	}
	return metricDBQuery
}

// histogram is a Prometheus histogram summed over its label sets:
// cumulative counts by upper bound, bounds ascending, the last one +Inf.
type histogram struct {
	bounds []float64
	counts []float64
	sum    float64
}

// newHistogram makes a histogram of cumulative counts by bound.
func newHistogram(byBound map[float64]float64, sum float64) *histogram {
	if _, ok := byBound[math.Inf(1)]; !ok {
		if byBound == nil {
			byBound = map[float64]float64{}
		}
		byBound[math.Inf(1)] = 0
	}
	h := &histogram{sum: sum}
	for b := range byBound {
		h.bounds = append(h.bounds, b)
	}
	sort.Float64s(h.bounds)
	for _, b := range h.bounds {
		h.counts = append(h.counts, byBound[b])
	}
	return h
}

// readHistogram adds every label set's buckets and sum of a histogram
// family to r as series of their own. The +Inf bucket is the sample count
// when the exposition leaves it out.
func (r *reading) readHistogram(fam *dto.MetricFamily) {
	for _, m := range fam.GetMetric() {
		h := m.GetHistogram()
		if h == nil {
			continue
		}
		r.dbSeen = true
		labels := labelKey(m)
		inf := false
		for _, b := range h.GetBucket() {
			inf = inf || math.IsInf(b.GetUpperBound(), 1)
			r.counters[seriesID{role: roleBucket, le: b.GetUpperBound(), labels: labels}] += bucketCount(b)
		}
		if !inf {
			total := float64(h.GetSampleCount())
			if h.SampleCountFloat != nil {
				total = h.GetSampleCountFloat()
			}
			r.counters[seriesID{role: roleBucket, le: math.Inf(1), labels: labels}] += total
		}
		r.counters[seriesID{role: roleSum, labels: labels}] += h.GetSampleSum()
	}
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

// total is the number of observations.
func (h *histogram) total() float64 {
	if h == nil || len(h.counts) == 0 {
		return 0
	}
	return h.counts[len(h.counts)-1]
}

// add returns the sum of two histograms of increases, bucket by bucket
// over the union of their bounds (exact when the bounds are the same, as
// they are in scrapes of one target).
func (h *histogram) add(o *histogram) *histogram {
	if h == nil {
		return o
	}
	if o == nil {
		return h
	}
	byBound := map[float64]float64{}
	for i, b := range h.bounds {
		byBound[b] += h.counts[i]
	}
	for i, b := range o.bounds {
		byBound[b] += o.counts[i]
	}
	return newHistogram(byBound, h.sum+o.sum)
}

// quantile estimates the q-quantile (0 < q < 1) as Prometheus's
// histogram_quantile does: find the bucket that holds rank q·count and
// interpolate linearly inside it (from 0 for the first bucket); in the +Inf
// bucket the answer is the highest finite bound. NaN when h is empty.
func (h *histogram) quantile(q float64) float64 {
	n := h.total()
	if n == 0 || len(h.bounds) < 2 {
		return math.NaN()
	}
	rank := q * n
	last := len(h.bounds) - 1 // the +Inf bucket
	b := sort.Search(last, func(i int) bool { return h.counts[i] >= rank })
	if b == last {
		return h.bounds[last-1]
	}
	if b == 0 && h.bounds[0] <= 0 {
		return h.bounds[0]
	}
	start, end, count := 0.0, h.bounds[b], h.counts[b]
	if b > 0 {
		start = h.bounds[b-1]
		count -= h.counts[b-1]
		rank -= h.counts[b-1]
	}
	if count <= 0 {
		return end
	}
	return start + (end-start)*(rank/count)
}

// scraper reads the target's Prometheus endpoint.
type scraper struct {
	url     string
	shown   string // url as errors name it: without a password
	queries []*seriesQuery
	client  *http.Client
	headers http.Header

	mu      sync.Mutex // guards the fields below
	samples []sample
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

// keep turns a reading taken at at into a sample of increases; s.mu held.
func (s *scraper) keep(cur *reading, at time.Duration) {
	var since time.Duration
	if n := len(s.samples); n > 0 {
		since = s.samples[n-1].at
	}
	s.samples = append(s.samples, increase(s.prev, cur, at, since))
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
	return parseMetrics(resp.Body, s.queries...)
}

// parseMetrics reads the metrics loadgate uses from Prometheus text.
func parseMetrics(r io.Reader, queries ...*seriesQuery) (reading, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return reading{}, fmt.Errorf("parsing metrics: %w", err)
	}
	rd := reading{counters: map[seriesID]float64{}, series: readSeries(families, queries)}
	if fam, ok := families[metricCacheRequests]; ok {
		for _, m := range fam.GetMetric() {
			id := seriesID{labels: labelKey(m)}
			switch labelValue(m, "result") {
			case "hit":
				id.role = roleHit
			case "miss":
				id.role = roleMiss
			default:
				continue
			}
			rd.counters[id] += metricValue(m)
			rd.cacheSeen = true
		}
	}
	for i, name := range gaugeMetrics {
		fam, ok := families[name]
		if !ok || len(fam.GetMetric()) == 0 {
			continue
		}
		total := 0.0
		for _, m := range fam.GetMetric() {
			total += metricValue(m)
		}
		rd.gauges[i] = total
		rd.gaugeSeen[i] = true
	}
	if fam, ok := families[metricStartTime]; ok && len(fam.GetMetric()) == 1 {
		rd.start, rd.startSeen = metricValue(fam.GetMetric()[0]), true
	}
	for i, name := range counterMetrics {
		fam, ok := families[name]
		if !ok || len(fam.GetMetric()) == 0 {
			continue
		}
		for _, m := range fam.GetMetric() {
			rd.counters[seriesID{role: roleCounter, idx: i, labels: labelKey(m)}] += metricValue(m)
		}
		rd.counterSeen[i] = true
	}
	if fam, ok := families[metricDBQuery]; ok {
		rd.readHistogram(fam)
	}
	return rd, nil
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
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

// snapshot returns the samples so far, when each failed scrape began and
// the last error.
func (s *scraper) snapshot() ([]sample, []time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sample(nil), s.samples...), append([]time.Duration(nil), s.failed...), s.lastErr
}
