package gate

import (
	"fmt"
	"slices"

	"github.com/loadgate/loadgate/record"
)

// Stream metrics, read from the stream summary of run.json (record.Stream):
// the distributions ttft, ttft_service, itl, tpot, e2e and output_tokens,
// each with a percentile or the mean ("ttft.p95", "chat.tpot.p50",
// "output_tokens.mean"); the rate of output tokens; and goodput, the share
// of streamed requests that met every bound of the scenario's slo.
const (
	// MetricTokensPerS is the output tokens per measured second, of the
	// whole run or of an endpoint (NAME.tokens_per_s).
	MetricTokensPerS = "tokens_per_s"
	// MetricGoodput is the share of the streamed requests that met every
	// bound of the scenario's slo (a failed request never does).
	MetricGoodput = "goodput"
)

// addStreamMetrics adds the stream metrics to m.
func addStreamMetrics(m map[string]metric) {
	fields := latencyFields()
	for _, sm := range record.StreamMetrics {
		k := kindLatency
		if sm == record.StreamOutputTokens {
			k = kindCount
		}
		for field, f := range fields {
			name := sm + "." + field
			m[name] = metric{name: name, kind: k, stream: true, read: func(s *record.Stats) (float64, bool) {
				if s.Stream == nil {
					return 0, false
				}
				l := s.Stream.Summary(sm)
				if l == nil {
					return 0, false
				}
				return f(l), true
			}}
		}
	}
	m[MetricTokensPerS] = metric{name: MetricTokensPerS, kind: kindRate, stream: true, read: func(s *record.Stats) (float64, bool) {
		if s.Stream == nil || s.Stream.Requests == 0 {
			return 0, false
		}
		return s.Stream.TokensPerS, true
	}}
	m[MetricGoodput] = metric{name: MetricGoodput, kind: kindRatio, share: true, stream: true, read: func(s *record.Stats) (float64, bool) {
		if s.Stream == nil || s.Stream.Goodput == nil {
			return 0, false
		}
		return *s.Stream.Goodput, true
	}}
}

// IsStream reports whether the gate reads a stream metric (record.Stream).
func (g Gate) IsStream() bool {
	m, ok := lookupMetric(g.Metric)
	return ok && m.stream
}

// checkStream says why a stream metric can only be unknown in scope: the
// scenario streams nothing, the endpoint does not stream, goodput without
// an slo.
func checkStream(g Gate, s Scope) string {
	switch {
	case len(s.Streams) == 0:
		return "it reads a stream metric, and no request or step of the scenario streams (stream: sse or chunks)"
	case g.Endpoint != "" && !slices.Contains(s.Streams, g.Endpoint):
		return fmt.Sprintf("%s does not stream (streamed endpoints: %s)", g.Endpoint, listOrNone(s.Streams))
	case g.Metric == MetricGoodput && !s.SLO:
		return "goodput is the share of streamed requests that meet the scenario's slo, and the scenario has no slo (slo: {ttft: 2s, tpot: 50ms})"
	}
	return ""
}

// streamWhy says why a stream metric of stats is absent.
func streamWhy(g Gate, stats *record.Stats) string {
	s := stats.Stream
	switch {
	case s == nil || s.Requests == 0:
		return "no streamed request was measured"
	case g.Metric == MetricGoodput:
		return "the run's plan has no slo: goodput counts the requests that meet it"
	case s.OK == 0:
		return fmt.Sprintf("none of the %d streamed requests succeeded: there is no %s to judge", s.Requests, g.Metric)
	}
	return fmt.Sprintf("no successful streamed request had a %s (tpot needs two tokens or more, ttft one)", g.Metric)
}
