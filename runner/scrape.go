package runner

import (
	"context"
	"fmt"
	"io"
	"net/http"
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
)

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
