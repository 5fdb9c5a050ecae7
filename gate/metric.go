package gate

import (
	"sort"
	"strings"

	"github.com/loadgate/loadgate/record"
)

// kind is what a metric measures, which decides the units its threshold takes.
type kind int

const (
	kindLatency kind = iota // microseconds
	kindRatio               // 0..1
	kindRate                // requests per second
	kindCount               // a plain count
	kindSeconds             // a duration in seconds (recovery time)
	kindGrowth              // bytes per hour
	kindNumber              // a target series' value, in its own unit
	kindBytes               // a size in bytes
)

func (k kind) unit() string {
	switch k {
	case kindLatency:
		return "us"
	case kindRatio:
		return "ratio"
	case kindRate:
		return "rps"
	case kindCount:
		return "count"
	case kindSeconds:
		return "s"
	case kindGrowth:
		return "bytes/h"
	case kindNumber:
		return "number"
	case kindBytes:
		return "bytes"
	}
	return ""
}

// Shape-specific metrics, computed from the timeline and the interval log
// rather than from run.json; see Extra.
const (
	// MetricRecoveryTime is the time from the end of the spike stage until
	// the per-second P95 and error rate are back within their gates.
	MetricRecoveryTime = "recovery_time"
	// MetricP95Drift is the P95 of the last window of a soak against the
	// first, as a ratio: 0.1 means 10 % slower.
	MetricP95Drift = "p95_drift"
	// MetricFaultErrorRate is the error rate during a fault (the worst
	// fault's; NAME.fault_error_rate is fault NAME's).
	MetricFaultErrorRate = "fault_error_rate"
	// MetricWritesLost is how many writes the target acknowledged that were
	// not found afterwards (run.json writes).
	MetricWritesLost = "writes_lost"
	// MetricMemoryGrowth is the growth of the target's resident memory per
	// hour, by a least-squares fit over the timeline.
	MetricMemoryGrowth = "memory_growth"
)

// metric is one name of the gate language and how to read it from a run.
type metric struct {
	name string
	kind kind
	// read returns the value from a run's stats; ok is false when the
	// metric is absent. Nil for metrics that come from Extra.
	read func(s *record.Stats) (float64, bool)
	// runWide metrics cannot take an endpoint prefix.
	runWide bool
	// perFault metrics take a fault's name as prefix instead
	// ("redis_down.recovery_time"); without one they read the worst fault.
	perFault bool
	// pop is the population a latency metric reads ("" for other metrics).
	pop record.Population
	// scraped metrics come from the target's Prometheus metrics.
	scraped bool
	// share metrics are a part of a whole (error rate, checks):
	// their threshold is at most 1.
	share bool
	// stream metrics read the stream summary (gate/stream.go).
	stream bool
}

// Latency metrics read the successful requests unless their name starts
// with one of these population prefixes.
var popPrefixes = map[string]record.Population{"": record.OK, "ok.": record.OK, "all.": record.All, "failed.": record.Failed}

// allMetrics lists every metric name of the gate language. It is built once
// per call and never shared, so the package holds no mutable state.
// latencyFields are the figures of a latency summary a gate may read, by
// the name it gives them (p95, p99.9 or p999, mean …).
func latencyFields() map[string]func(l *record.Latency) float64 {
	return map[string]func(l *record.Latency) float64{
		"p50":   func(l *record.Latency) float64 { return l.P50 },
		"p90":   func(l *record.Latency) float64 { return l.P90 },
		"p95":   func(l *record.Latency) float64 { return l.P95 },
		"p99":   func(l *record.Latency) float64 { return l.P99 },
		"p99.9": func(l *record.Latency) float64 { return l.P999 },
		"p999":  func(l *record.Latency) float64 { return l.P999 },
		"max":   func(l *record.Latency) float64 { return l.Max },
		"mean":  func(l *record.Latency) float64 { return l.Mean },
		"min":   func(l *record.Latency) float64 { return l.Min },
	}
}

func allMetrics() map[string]metric {
	m := map[string]metric{}
	lat := func(prefix string, pick func(*record.Stats, record.Population) (record.Latency, bool)) {
		fields := latencyFields()
		for pp, pop := range popPrefixes {
			for name, f := range fields {
				m[pp+prefix+name] = metric{name: pp + prefix + name, kind: kindLatency, pop: pop, read: func(s *record.Stats) (float64, bool) {
					l, ok := pick(s, pop)
					if !ok {
						return 0, false
					}
					return f(&l), true
				}}
			}
		}
	}
	lat("", (*record.Stats).LatencyOf)
	lat("latency.", (*record.Stats).LatencyOf)
	lat("service_time.", (*record.Stats).ServiceTimeOf)

	m["error_rate"] = metric{name: "error_rate", kind: kindRatio, share: true, read: func(s *record.Stats) (float64, bool) {
		return s.ErrorRate, s.Requests > 0
	}}
	rate := func(s *record.Stats) (float64, bool) { return s.Rate.Achieved, s.Requests > 0 }
	m["rate"] = metric{name: "rate", kind: kindRate, read: rate}
	m["achieved_rate"] = metric{name: "achieved_rate", kind: kindRate, read: rate}
	// checks is the share of flow checks that passed: of a step, of a
	// flow's iterations (<flow>.iteration.checks) or of the run.
	m[MetricChecks] = metric{name: MetricChecks, kind: kindRatio, read: func(s *record.Stats) (float64, bool) {
		n := s.ChecksPassed + s.ChecksFailed
		if n == 0 {
			return 0, false
		}
		return float64(s.ChecksPassed) / float64(n), true
	}}
	m["requests"] = metric{name: "requests", kind: kindCount, read: func(s *record.Stats) (float64, bool) {
		return float64(s.Requests), true
	}}
	m[MetricRecoveryTime] = metric{name: MetricRecoveryTime, kind: kindSeconds, runWide: true, perFault: true}
	m[MetricFaultErrorRate] = metric{name: MetricFaultErrorRate, kind: kindRatio, runWide: true, perFault: true}
	m[MetricWritesLost] = metric{name: MetricWritesLost, kind: kindCount, runWide: true}
	m[MetricP95Drift] = metric{name: MetricP95Drift, kind: kindRatio, runWide: true}
	// Memory growth is fitted to the resident memory the scrapes read.
	m[MetricMemoryGrowth] = metric{name: MetricMemoryGrowth, kind: kindGrowth, runWide: true, scraped: true}
	addStreamMetrics(m)
	return m
}

func lookupMetric(name string) (metric, bool) {
	m, ok := allMetrics()[name]
	return m, ok
}

// metricNames lists the metric names for error messages, sorted.
func metricNames() []string {
	var names []string
	for n, m := range allMetrics() {
		if m.stream && strings.Contains(n, ".") && !strings.HasSuffix(n, ".p95") {
			continue // one percentile said per stream metric
		}
		if n == "p999" || strings.Contains(n, "latency.") {
			continue // aliases, not advertised
		}
		if pp, _, ok := strings.Cut(n, "."); ok && popPrefixes[pp+"."] != "" {
			continue // said once in the error message
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
