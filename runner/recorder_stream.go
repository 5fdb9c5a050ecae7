package runner

import (
	"bufio"
	"fmt"
	"io"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// The stream metrics a streamSeries records, indexing its histograms in
// the order of record.StreamMetrics.
const (
	smTTFT = iota
	smTTFTService
	smTTFB
	smITL
	smTPOT
	smE2E
	smTokens
	numStreamMetrics
)

// slo is the scenario's slo in durations (0: no bound), checked for each
// measured streamed result.
type slo struct {
	ttft, tpot, itl, e2e time.Duration
	set                  bool
}

func newSLO(s scenarios.SLO) slo {
	return slo{ttft: s.TTFT.D(), tpot: s.TPOT.D(), itl: s.ITL.D(), e2e: s.E2E.D(), set: !s.IsZero()}
}

// meets reports whether a successful streamed result meets every bound. A
// result without content has no first token: it fails a ttft bound; one
// with fewer than two tokens has no TPOT, and no gap: those bounds hold.
func (o slo) meets(res *result, tpot time.Duration) bool {
	st := res.stream
	switch {
	case o.ttft > 0 && (st.events == 0 || st.first-res.intended > o.ttft):
		return false
	case o.tpot > 0 && st.tokens > 1 && tpot > o.tpot:
		return false
	case o.itl > 0 && st.maxGap > o.itl:
		return false
	case o.e2e > 0 && res.corrected() > o.e2e:
		return false
	}
	return true
}

// streamSeries records one series' streamed results over the measured
// window: a histogram per stream metric (the window's, and this second's
// for stream.hlog) and the counts run.json's stream block holds.
type streamSeries struct {
	window, interval           [numStreamMetrics]hist
	requests, ok, tokens, good int64
	fromUsage, fromEvents      int64
}

func newStreamSeries(newHist func() hist) *streamSeries {
	s := &streamSeries{}
	for i := range numStreamMetrics {
		s.window[i], s.interval[i] = newHist(), newHist()
	}
	return s
}

// record adds v to metric m's histograms.
func (s *streamSeries) record(m int, v int64) {
	s.window[m].record(v)
	s.interval[m].record(v)
}

// observeStream records a measured streamed result into ep's stream
// series and the whole run's.
func (r *recorder) observeStream(ep *series, res *result) {
	st := res.stream
	var tpot time.Duration
	if st.tokens > 1 {
		tpot = (st.last - st.first) / time.Duration(st.tokens-1)
	}
	good := res.kind == kindOK && r.slo.set && r.slo.meets(res, tpot)
	for _, s := range [2]*series{ep, r.overall} {
		if s.stream == nil {
			s.stream = newStreamSeries(s.newHist) // once per series
		}
		ss := s.stream
		ss.requests++
		ss.tokens += st.tokens
		if st.usage {
			ss.fromUsage++
		} else {
			ss.fromEvents++
		}
		if good {
			ss.good++
		}
		if res.kind == kindOK {
			ss.ok++
			ss.record(smTTFB, r.clamp(st.headers-res.intended))
			if st.events > 0 {
				ss.record(smTTFT, r.clamp(st.first-res.intended))
				ss.record(smTTFTService, r.clamp(st.first-res.sent))
			}
			if st.tokens > 1 {
				ss.record(smTPOT, r.clamp(tpot))
			}
			ss.record(smE2E, r.clamp(res.corrected()))
			ss.record(smTokens, min(max(st.tokens, 0), r.highest))
			if st.gaps != nil {
				st.gaps.ForEachBucket(func(v, n int64) bool {
					ss.window[smITL].recordN(v, n)
					ss.interval[smITL].recordN(v, n)
					return true
				})
			}
		}
		if s == r.overall {
			break // ep is the whole run's (a result of none of the mix)
		}
	}
}

// summary is run.json's stream block of s over secs measured seconds.
func (s *streamSeries) summary(secs float64, o slo) *record.Stream {
	if s == nil {
		return nil
	}
	out := &record.Stream{Requests: s.requests, OK: s.ok, OutputTokens: s.tokens, FromUsage: s.fromUsage,
		FromEvents: s.fromEvents, Good: s.good}
	if secs > 0 {
		out.TokensPerS = float64(s.tokens) / secs
	}
	for i, m := range record.StreamMetrics {
		out.SetSummary(m, latencyOf(s.window[i].get()))
	}
	if o.set && s.requests > 0 {
		g := float64(s.good) / float64(s.requests)
		out.Goodput = &g
	}
	return out
}

// streamLog writes stream.hlog: every second, each streamed series'
// metrics (tags record.StreamTag), the whole run's TTFT first and always.
type streamLog struct {
	buf *bufio.Writer
	w   *hdr.HistogramLogWriter
}

func newStreamLog(w io.Writer, origin time.Time) (*streamLog, error) {
	l := &streamLog{buf: bufio.NewWriterSize(w, 64*1024)}
	l.w = hdr.NewHistogramLogWriter(l.buf)
	if err := record.WriteHlogHeader(l.w, origin.UnixMilli(), "stream metrics of the successful streamed requests; Tag=<endpoint>#<metric> (empty endpoint = all endpoints): ttft, ttfb (response headers) and e2e from the intended send time, ttft_service from the actual send, itl every gap between content events, tpot per request, in microseconds; output_tokens per request, in tokens; warm-up excluded"); err != nil {
		return nil, fmt.Errorf("writing stream log: %w", err)
	}
	return l, nil
}

// writeStreamIntervals writes the interval [startMs, endMs) of every
// streamed series to the stream log.
func (r *recorder) writeStreamIntervals(startMs, endMs int64) {
	for i, s := range r.series() {
		if s.stream == nil && i > 0 {
			continue
		}
		for m, name := range record.StreamMetrics {
			var h readable
			if s.stream != nil {
				h = s.stream.interval[m].get()
			}
			r.writeTo(r.streamLog.w, h, record.StreamTag(s.name, name), startMs, endMs, i == 0 && m == 0)
		}
	}
	if err := r.streamLog.buf.Flush(); err != nil && r.logErr == nil {
		r.logErr = fmt.Errorf("writing stream log: %w", err)
	}
}

// resetStreamIntervals empties every stream series' interval histograms.
func (r *recorder) resetStreamIntervals() {
	for _, s := range r.series() {
		if s.stream != nil {
			for m := range s.stream.interval {
				s.stream.interval[m].reset()
			}
		}
	}
}
