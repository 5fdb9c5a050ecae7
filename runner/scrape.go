package runner

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metric names read from the target (docs/CONTRACT.md).
const (
	metricCacheRequests = "loadgate_cache_requests_total"
	metricRSS           = "process_resident_memory_bytes"
	metricGoroutines    = "go_goroutines"
	metricPoolAcquired  = "loadgate_db_pool_acquired_conns"
	metricPoolMax       = "loadgate_db_pool_max_conns"
	metricDBQuery       = "loadgate_db_query_duration_seconds"
	metricPoolWait      = "loadgate_db_pool_acquire_wait_seconds_total"
	metricPoolEmpty     = "loadgate_db_pool_empty_acquire_total"
)

// counter indexes of a sample: counters summed over their label sets and
// reported as deltas over the measured window.
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

// Timeline keys of the server map (results.Point.Server).
var gaugeKeys = [numGauges]string{"rss_bytes", "goroutines", "db_pool_acquired", "db_pool_max"}

// sample is one scrape of the target's metrics; at is the time since the
// run's origin.
type sample struct {
	at           time.Duration
	cacheSeen    bool
	hits, misses float64 // summed over every cache
	gauges       [numGauges]float64
	gaugeSeen    [numGauges]bool
	counters     [numCounters]float64
	counterSeen  [numCounters]bool
	dbQuery      *histogram // nil when the target has no DB query histogram
}

// histogram is a Prometheus histogram summed over its label sets:
// cumulative counts by upper bound, bounds ascending, the last one +Inf.
type histogram struct {
	bounds []float64
	counts []float64
	sum    float64
}

// readHistogram sums the label sets of a histogram family by bucket bound.
// The +Inf bucket is the sample count when the exposition leaves it out.
func readHistogram(fam *dto.MetricFamily) *histogram {
	byBound := map[float64]float64{}
	total, sum, seen := 0.0, 0.0, false
	for _, m := range fam.GetMetric() {
		h := m.GetHistogram()
		if h == nil {
			continue
		}
		seen = true
		for _, b := range h.GetBucket() {
			byBound[b.GetUpperBound()] += bucketCount(b)
		}
		if h.SampleCountFloat != nil {
			total += h.GetSampleCountFloat()
		} else {
			total += float64(h.GetSampleCount())
		}
		sum += h.GetSampleSum()
	}
	if !seen {
		return nil
	}
	if byBound[math.Inf(1)] < total {
		byBound[math.Inf(1)] = total
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

// sub returns h minus an earlier scrape of the same histogram (a bucket
// absent from earlier counts from zero); ok is false when a count went
// backwards (the target restarted).
func (h *histogram) sub(earlier *histogram) (*histogram, bool) {
	prev := map[float64]float64{}
	sum := h.sum
	if earlier != nil {
		for i, b := range earlier.bounds {
			prev[b] = earlier.counts[i]
		}
		sum -= earlier.sum
	}
	d := &histogram{bounds: append([]float64(nil), h.bounds...), counts: make([]float64, len(h.counts)), sum: sum}
	for i, b := range h.bounds {
		d.counts[i] = h.counts[i] - prev[b]
		if d.counts[i] < 0 {
			return nil, false
		}
	}
	return d, true
}

// add adds another histogram's counts bucket by bucket (same bounds
// assumed; a bound of o missing from h is dropped).
func (h *histogram) add(o *histogram) {
	idx := map[float64]int{}
	for i, b := range h.bounds {
		idx[b] = i
	}
	for i, b := range o.bounds {
		if j, ok := idx[b]; ok {
			h.counts[j] += o.counts[i]
		}
	}
	h.sum += o.sum
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
	client  *http.Client
	headers http.Header

	mu      sync.Mutex // guards the fields below
	samples []sample
	errors  int
	lastErr error
}

func newScraper(url string, headers http.Header, timeout time.Duration) *scraper {
	return &scraper{url: url, headers: headers, client: &http.Client{Timeout: timeout}}
}

// scrape takes one sample and keeps it; a failure is counted, not fatal.
func (s *scraper) scrape(ctx context.Context, at time.Duration) {
	smp, err := s.fetch(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errors++
		s.lastErr = err
		return
	}
	smp.at = at
	s.samples = append(s.samples, smp)
}

func (s *scraper) fetch(ctx context.Context) (sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return sample{}, fmt.Errorf("scraping %s: %w", s.url, err)
	}
	for k, v := range s.headers {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := s.client.Do(req)
	if err != nil {
		return sample{}, fmt.Errorf("scraping %s: %w", s.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return sample{}, fmt.Errorf("scraping %s: %s", s.url, resp.Status)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics reads the metrics loadgate uses from Prometheus text.
func parseMetrics(r io.Reader) (sample, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return sample{}, fmt.Errorf("parsing metrics: %w", err)
	}
	var smp sample
	if fam, ok := families[metricCacheRequests]; ok {
		for _, m := range fam.GetMetric() {
			v := metricValue(m)
			switch labelValue(m, "result") {
			case "hit":
				smp.hits += v
				smp.cacheSeen = true
			case "miss":
				smp.misses += v
				smp.cacheSeen = true
			}
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
		smp.gauges[i] = total
		smp.gaugeSeen[i] = true
	}
	for i, name := range counterMetrics {
		fam, ok := families[name]
		if !ok || len(fam.GetMetric()) == 0 {
			continue
		}
		for _, m := range fam.GetMetric() {
			smp.counters[i] += metricValue(m)
		}
		smp.counterSeen[i] = true
	}
	if fam, ok := families[metricDBQuery]; ok {
		smp.dbQuery = readHistogram(fam)
	}
	return smp, nil
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

// run scrapes every interval until ctx ends, plus once when the warm-up
// ends so that the measured window starts from a fresh sample.
func (s *scraper) run(ctx context.Context, origin time.Time, interval, warmup time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var warm <-chan time.Time
	if warmup > 0 {
		t := time.NewTimer(warmup)
		defer t.Stop()
		warm = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-warm:
			warm = nil
		}
		s.scrape(ctx, time.Since(origin))
	}
}

// snapshot returns the samples so far, the error count and the last error.
func (s *scraper) snapshot() ([]sample, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sample(nil), s.samples...), s.errors, s.lastErr
}
