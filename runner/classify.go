package runner

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// kind is the outcome of one request.
type kind uint8

const (
	kindOK      kind = iota
	kindTimeout      // no response within the timeout
	kindRefused      // connection refused
	kindReset        // connection reset or closed mid-request
	kindStatus       // a response with a status code the request does not expect
	kindOther        // any other transport error
	kindUnsent       // due by the schedule but never sent before the run ended
	kindCheck        // a flow step's response failed one of its checks
	kindExtract      // a flow step's response held nothing for one of its extracts
	// Streams (stream: sse or chunks).
	kindStream     // a 2xx that is not a stream (JSON where Server-Sent Events were expected)
	kindMalformed  // an event that does not parse (its data is not JSON)
	kindTooLong    // an event line (or an event's data) longer than the target's max_body
	kindIncomplete // a stream that ended before [DONE], or carried an error event
	numKinds
)

// name is the kind's key in run.json's errors map.
func (k kind) name() string {
	switch k {
	case kindTimeout:
		return "timeout"
	case kindRefused:
		return "refused"
	case kindReset:
		return "reset"
	case kindStatus:
		return "status"
	case kindOther:
		return "other"
	case kindUnsent:
		return "unsent"
	case kindCheck:
		return "check"
	case kindExtract:
		return "extract"
	case kindStream:
		return "stream"
	case kindMalformed:
		return "malformed"
	case kindTooLong:
		return "too_long"
	case kindIncomplete:
		return "incomplete"
	}
	return "ok"
}

// maxStatus bounds the status codes counted one by one; anything at or above
// it is counted as maxStatus-1.
const maxStatus = 600

// expectation says which status codes count as success.
type expectation [maxStatus]bool

// newExpectation accepts codes, or 200–399 when codes is empty.
func newExpectation(codes []int) *expectation {
	var e expectation
	if len(codes) == 0 {
		for c := 200; c < 400; c++ {
			e[c] = true
		}
		return &e
	}
	for _, c := range codes {
		if c >= 0 && c < maxStatus {
			e[c] = true
		}
	}
	return &e
}

// classify decides a vegeta result's kind without allocating. vegeta hands
// a transport error as text only, so its kind is read from the message
// (transportKind): the one place that does; the flow engine's senders keep
// the error itself (errorKind).
func classify(res *vegeta.Result, expect *expectation) kind {
	if res.Code != 0 {
		// vegeta sets Code only once the whole body was read, and marks codes
		// >= 400 as errors itself: the scenario's expectation decides here.
		if int(res.Code) < maxStatus && expect[res.Code] {
			return kindOK
		}
		return kindStatus
	}
	if res.Error == "" {
		return kindOther
	}
	return transportKind(res.Error)
}

// errorKind is the kind of a transport error, by its type: the request's
// deadline or the client's timeout, a refused connection, a connection
// reset, broken or closed by the peer (a body cut short included).
func errorKind(err error) kind {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return kindTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return kindRefused
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return kindReset
	}
	return kindOther
}

// transportKind reads the kind of a vegeta result's error from its text.
func transportKind(msg string) kind {
	switch {
	case strings.Contains(msg, "Timeout") || strings.Contains(msg, "timeout") || strings.Contains(msg, "deadline exceeded"):
		return kindTimeout
	case strings.Contains(msg, "connection refused"):
		return kindRefused
	case strings.Contains(msg, "reset by peer") || strings.Contains(msg, "broken pipe") || strings.Contains(msg, "EOF"):
		return kindReset
	}
	return kindOther
}
