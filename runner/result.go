package runner

import (
	"net/http"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// result is one request as a sender measured it: the recorder's currency.
// The flow engine's senders fill it; a vegeta result becomes one at the
// recorder's door (fromVegeta). It is passed by value or on the stack:
// recording one allocates nothing.
type result struct {
	// Times since the engine (or the pacer) began: when the request was
	// due by the schedule, when it left, and when its response ended (the
	// last byte read, or the error).
	intended, sent, end time.Duration
	// code is the response's status, 0 when none was read whole (a
	// transport error).
	code uint16
	kind kind
	// err is what failed, typed (errorKind reads it with errors.Is and
	// errors.As); nil on success and for a status or check failure.
	err               error
	bytesIn, bytesOut int64
	header            http.Header // the response's headers (Server-Timing)
	// stream holds a streamed response's figures; nil for a body read whole.
	stream *streamFigures
}

// streamFigures are what a stream sender measured of one streamed response
// (times since the engine began, as the result's).
type streamFigures struct {
	// headers is when the response headers arrived (TTFB).
	headers time.Duration
	// first and last are when the first and the last content event
	// arrived; events counts the content events (those with non-empty
	// content: an empty role chunk is none).
	first, last time.Duration
	events      int64
	// tokens are the output tokens: usage.completion_tokens when an event
	// carried it (usage set), else events.
	tokens int64
	usage  bool
	// maxGap is the longest gap between two content events.
	maxGap time.Duration
	// gaps holds every gap between content events (µs). It is the
	// worker's (worker.gapBuffer), valid until the recorder took the
	// result: the recorder adds it to the ITL histograms.
	gaps *hdr.PackedHistogram
}

// fromVegeta turns a vegeta result into a result: the one place where the
// vegeta path meets the recorder's currency. began is when the pacer
// began; vegeta hands transport errors as text only, so k is classified
// from it (classify).
func fromVegeta(res *vegeta.Result, began time.Time, k kind) result {
	sent := res.Timestamp.Sub(began)
	return result{
		intended: sent, sent: sent, end: sent + res.Latency,
		code: res.Code, kind: k,
		bytesIn: bytesIn(res), bytesOut: int64(res.BytesOut),
		header: res.Headers,
	}
}

// service is the time from the actual send to the end.
func (s *result) service() time.Duration { return s.end - s.sent }

// corrected is the time from the intended send to the end: the latency
// corrected for coordinated omission (never below the service time: a
// request sent a hair early).
func (s *result) corrected() time.Duration { return max(s.end-s.intended, s.service()) }
