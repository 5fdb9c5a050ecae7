package record

import (
	"strings"
)

// StreamHlogFile holds the stream metrics of a run with streamed requests
// (stream: sse or chunks) as an interval log, one interval a second as
// HlogFile: each metric of each series tagged StreamTag(series, metric).
// Absent when nothing streams. `loadgate merge` adds it interval by
// interval, as it does the latency log.
const StreamHlogFile = "stream.hlog"

// Stream metrics: the names of the histograms of a streamed series, which
// tag stream.hlog's intervals (StreamTag) and name the gate metrics
// (ttft.p95, chat.tpot.p50).
const (
	// StreamTTFT is the time to first token: from the request's intended
	// send time to its first event with non-empty content (µs).
	StreamTTFT = "ttft"
	// StreamTTFB is the time to the response headers, from the intended
	// send time (µs).
	StreamTTFB = "ttfb"
	// StreamTTFTService is the same from the actual send (µs).
	StreamTTFTService = "ttft_service"
	// StreamITL is every gap between two content events of a request (µs).
	StreamITL = "itl"
	// StreamTPOT is a request's time per output token after the first:
	// (last content − first content) / (tokens − 1), for tokens > 1 (µs).
	StreamTPOT = "tpot"
	// StreamE2E is a request from its intended send time to the end of
	// its stream (µs).
	StreamE2E = "e2e"
	// StreamOutputTokens is a request's output tokens (a count).
	StreamOutputTokens = "output_tokens"
)

// StreamMetrics lists the stream metrics in the order logs and tables show
// them. The first is written every second for the whole run, even empty:
// it starts each second's frame of stream.hlog.
var StreamMetrics = [...]string{StreamTTFT, StreamTTFTService, StreamTTFB, StreamITL, StreamTPOT, StreamE2E, StreamOutputTokens}

// StreamTag is the stream.hlog tag of metric for series (an endpoint, ""
// for the whole run): "chat#ttft", "#itl". Endpoint names hold no '#'.
func StreamTag(series, metric string) string { return series + "#" + metric }

// SplitStreamTag is the inverse of StreamTag; ok is false for a tag that is
// not one.
func SplitStreamTag(tag string) (series, metric string, ok bool) {
	i := strings.LastIndexByte(tag, '#')
	if i < 0 {
		return "", "", false
	}
	return tag[:i], tag[i+1:], true
}

// Token counts: how a request's output tokens were counted (Stream.TokensCounted).
const (
	// TokensFromUsage: an event carried usage.completion_tokens.
	TokensFromUsage = "usage"
	// TokensFromEvents: no event did; the tokens are the content events.
	TokensFromEvents = "content events"
)

// Stream summarises the streamed responses of one series (an endpoint, a
// flow step, the whole run) over the measured window; nil where nothing
// streams. The distributions hold the successful requests (an expected
// status, a complete stream, every check passed), as vLLM's and AIPerf's
// do; the token counts hold every measured request, the partial tokens of
// a failed stream included.
type Stream struct {
	// Requests counts the measured streamed requests that were sent; OK the
	// successful ones.
	Requests int64 `json:"requests"`
	OK       int64 `json:"ok"`
	// OutputTokens counts the output tokens of every measured streamed
	// request; FromUsage and FromEvents count the requests whose tokens
	// came from an event's usage.completion_tokens and from the number of
	// content events (no event said).
	OutputTokens int64 `json:"output_tokens"`
	FromUsage    int64 `json:"tokens_from_usage"`
	FromEvents   int64 `json:"tokens_from_events"`
	// TokensPerS is OutputTokens per measured second (shards side by side
	// add up, like rates).
	TokensPerS float64 `json:"tokens_per_s"`
	// Good counts the requests that met every bound of the plan's SLO
	// (Plan.SLO); Goodput is Good / Requests, absent without an SLO or
	// without requests. A failed request never meets it.
	Good    int64    `json:"good"`
	Goodput *float64 `json:"goodput,omitempty"`

	// The distributions, absent when no successful request had the figure:
	// TTFTUS and TTFTServiceUS from the intended and the actual send to
	// the first content, TTFBUS from the intended send to the response
	// headers, ITLUS every gap between content events, TPOTUS per request
	// with two tokens or more, E2EUS from the intended send to the
	// stream's end (µs); OutputTokensPerRequest in tokens.
	TTFTUS                 *Latency `json:"ttft_us,omitempty"`
	TTFTServiceUS          *Latency `json:"ttft_service_us,omitempty"`
	TTFBUS                 *Latency `json:"ttfb_us,omitempty"`
	ITLUS                  *Latency `json:"itl_us,omitempty"`
	TPOTUS                 *Latency `json:"tpot_us,omitempty"`
	E2EUS                  *Latency `json:"e2e_us,omitempty"`
	OutputTokensPerRequest *Latency `json:"output_tokens_per_request,omitempty"`
}

// TokensCounted says how the output tokens were counted: TokensFromUsage,
// TokensFromEvents, or both joined by " and " when requests differed;
// "" when no request was counted.
func (s *Stream) TokensCounted() string {
	switch {
	case s.FromUsage > 0 && s.FromEvents > 0:
		return TokensFromUsage + " and " + TokensFromEvents
	case s.FromUsage > 0:
		return TokensFromUsage
	case s.FromEvents > 0:
		return TokensFromEvents
	}
	return ""
}

// Summary is the distribution of metric (a StreamMetrics name); nil when
// absent.
func (s *Stream) Summary(metric string) *Latency {
	switch metric {
	case StreamTTFT:
		return s.TTFTUS
	case StreamTTFTService:
		return s.TTFTServiceUS
	case StreamTTFB:
		return s.TTFBUS
	case StreamITL:
		return s.ITLUS
	case StreamTPOT:
		return s.TPOTUS
	case StreamE2E:
		return s.E2EUS
	case StreamOutputTokens:
		return s.OutputTokensPerRequest
	}
	return nil
}

// SetSummary sets the distribution of metric (a StreamMetrics name).
func (s *Stream) SetSummary(metric string, l *Latency) {
	switch metric {
	case StreamTTFT:
		s.TTFTUS = l
	case StreamTTFTService:
		s.TTFTServiceUS = l
	case StreamTTFB:
		s.TTFBUS = l
	case StreamITL:
		s.ITLUS = l
	case StreamTPOT:
		s.TPOTUS = l
	case StreamE2E:
		s.E2EUS = l
	case StreamOutputTokens:
		s.OutputTokensPerRequest = l
	}
}

// SetGoodput sets Goodput from Good and Requests when slo is set.
func (s *Stream) SetGoodput(slo *SLO) {
	s.Goodput = nil
	if slo != nil && s.Requests > 0 {
		g := float64(s.Good) / float64(s.Requests)
		s.Goodput = &g
	}
}

// Add adds o, the same series of another shard run side by side, to s:
// the counts, and the tokens per second (shards side by side add up). The
// distributions and the goodput are not sums: Merge computes them again
// from stream.hlog and the summed counts.
func (s *Stream) Add(o Stream) {
	s.Requests += o.Requests
	s.OK += o.OK
	s.OutputTokens += o.OutputTokens
	s.FromUsage += o.FromUsage
	s.FromEvents += o.FromEvents
	s.TokensPerS += o.TokensPerS
	s.Good += o.Good
}

// SLO is the scenario's slo as run.json's plan records it (µs; 0: not
// set): what a streamed request must meet to count toward goodput.
type SLO struct {
	TTFTUS float64 `json:"ttft_us,omitempty"`
	TPOTUS float64 `json:"tpot_us,omitempty"`
	ITLUS  float64 `json:"itl_us,omitempty"`
	E2EUS  float64 `json:"e2e_us,omitempty"`
}

// finishStreams computes the stream summaries of a merged run again from
// the added stream.hlog (sums by tag) and its goodput from the summed
// counts.
func (r *Run) finishStreams(stream sums) {
	finish := func(st *Stats, name string) {
		s := st.Stream
		if s == nil {
			return
		}
		for _, m := range StreamMetrics {
			if h, ok := stream[StreamTag(name, m)]; ok {
				s.SetSummary(m, latencyOf(h))
			} else {
				s.SetSummary(m, nil)
			}
		}
		s.SetGoodput(r.Plan.SLO)
	}
	finish(&r.Overall, "")
	for name, st := range r.Endpoints {
		finish(&st, name)
		r.Endpoints[name] = st
	}
}
