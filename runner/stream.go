package runner

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/scenarios"
)

// streamSender reads a streamed response event by event, as LLM servers
// stream their answers: Server-Sent Events (an OpenAI chat-completions
// chunk in each event's data, "[DONE]" at the end) or JSON lines (one event
// a line, to the end of the body). Each event's content is read at the
// step's JSON path; the first event with non-empty content is the first
// token, the gaps between content events the inter-token latencies, and an
// event's usage.completion_tokens, when one carries it, the output tokens
// (else the content events are counted).
//
// Nothing is allocated per event: lines are read from the worker's buffer
// (streamReader), the JSON is scanned in place, and the gaps go to a
// histogram of the worker's that the recorder adds up (worker.streamBuf).
type streamSender struct {
	sse     bool                 // Server-Sent Events; else JSON lines
	content []scenarios.PathElem // where an event's content is
}

// Paths every stream sender reads.
var (
	usagePath = mustPath(scenarios.StreamUsagePath)
	errorPath = mustPath("$.error")
)

func mustPath(p string) []scenarios.PathElem {
	elems, err := scenarios.ParseJSONPath(p)
	if err != nil {
		panic(err)
	}
	return elems
}

// errTooLong is a line longer than the target's max_body.
var errTooLong = errors.New("an event line longer than max_body")

func newStreamSender(mode, content string) (streamSender, error) {
	_, content = scenarios.StreamsOf(mode, content)
	path, err := scenarios.ParseJSONPath(content)
	if err != nil {
		return streamSender{}, err
	}
	return streamSender{sse: mode == scenarios.StreamSSE, content: path}, nil
}

func (s streamSender) send(w *worker, st *compiledStep, c *http.Client, req *http.Request, res *result) (*http.Response, bool) {
	e := w.e
	resp, err := c.Do(req)
	if err != nil {
		res.end = e.since()
		res.err, res.kind = err, errorKind(err)
		return nil, false
	}
	fig := w.streamBuf()
	fig.headers = e.since()
	res.stream = fig
	res.header = resp.Header
	w.counted = counter{r: resp.Body}
	code := resp.StatusCode
	kind := kindOK
	switch {
	case code >= maxStatus || !st.expect[code] || code < 200 || code > 299:
		// Not a stream to read: the step judges the status.
		err = drain(resp.Body, &w.counted)
	case isEventStream(resp.Header.Get("Content-Type")) != s.sse:
		// JSON where events were expected (or events where JSON lines
		// were).
		err = drain(resp.Body, &w.counted)
		kind = kindStream
	default:
		kind, err = s.read(w, fig, e.set.maxBody)
		resp.Body.Close()
	}
	res.end = e.since()
	res.bytesIn = w.counted.n
	if !fig.usage {
		fig.tokens = fig.events
	}
	if err != nil {
		// The stream was cut: its tokens so far are recorded with the
		// error's kind (a stream that never ends is a timeout).
		res.err, res.kind = err, errorKind(err)
		return nil, false
	}
	res.code = uint16(min(code, 65535))
	res.kind = kind
	return resp, false
}

// isEventStream reports whether a Content-Type is text/event-stream.
func isEventStream(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "text/event-stream"
}

// read reads the stream's events into fig until it ends: [DONE] (SSE) or
// the end of the body (JSON lines). It returns the kind of a stream that
// is not sound (malformed, too_long, incomplete) and any transport error;
// what is left of the body after [DONE] is read and counted.
func (s streamSender) read(w *worker, fig *streamFigures, limit int) (kind, error) {
	r := &w.stream
	r.reset()
	src := io.Reader(&w.counted)
	highest := w.e.highest
	for {
		line, err := r.line(src, limit, w.e.since)
		switch {
		case errors.Is(err, errTooLong):
			return kindTooLong, nil
		case errors.Is(err, io.EOF):
			if s.sse {
				if len(r.data) > 0 || r.dataLines > 0 {
					// A last event without the blank line that ends it.
					if k, done := s.event(r.data, r.at, fig, highest); k != kindOK || done {
						return k, nil
					}
				}
				return kindIncomplete, nil // no [DONE]
			}
			return kindOK, nil
		case err != nil:
			return kindOK, err
		}
		if !s.sse {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			if k, _ := s.event(line, r.at, fig, highest); k != kindOK {
				return k, nil
			}
			continue
		}
		// Server-Sent Events: fields until a blank line dispatches the
		// event; only data matters here.
		switch {
		case len(line) == 0:
			if r.dataLines == 0 {
				continue
			}
			k, done := s.event(r.data, r.at, fig, highest)
			r.data, r.dataLines = r.data[:0], 0
			if k != kindOK {
				return k, nil
			}
			if done {
				_, err := io.Copy(io.Discard, src)
				return kindOK, err
			}
		case line[0] == ':':
			// A comment (a keep-alive).
		default:
			name, value, _ := bytes.Cut(line, []byte{':'})
			if !bytes.Equal(name, []byte("data")) {
				continue // event, id, retry
			}
			value = bytes.TrimPrefix(value, []byte{' '})
			if r.dataLines > 0 {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			r.dataLines++
			if len(r.data) > limit {
				return kindTooLong, nil
			}
		}
	}
}

// event takes one event's data received at at; done is [DONE].
func (s streamSender) event(data []byte, at time.Duration, fig *streamFigures, highest int64) (k kind, done bool) {
	data = bytes.TrimSpace(data)
	if s.sse && bytes.Equal(data, []byte("[DONE]")) {
		return kindOK, true
	}
	if scanJSON(data) != shapeWhole {
		return kindMalformed, false
	}
	if v, ok := jsonLookup(data, errorPath); ok && !bytes.Equal(v, []byte("null")) {
		return kindIncomplete, false // an error event: the stream failed
	}
	if v, ok := jsonLookup(data, usagePath); ok {
		if n, ok := parseNumber(v); ok && n >= 0 {
			fig.tokens, fig.usage = int64(n), true
		}
	}
	if v, ok := jsonLookup(data, s.content); ok && hasContent(v) {
		if fig.events == 0 {
			fig.first = at
		} else {
			gap := at - fig.last
			fig.maxGap = max(fig.maxGap, gap)
			_ = fig.gaps.RecordValue(min(max(gap.Microseconds(), 0), highest))
		}
		fig.last = at
		fig.events++
	}
	return kindOK, false
}

// hasContent reports whether a JSON value is content: not null, not an
// empty string.
func hasContent(v []byte) bool {
	return len(v) > 0 && !bytes.Equal(v, []byte("null")) && !bytes.Equal(v, []byte(`""`))
}

// streamReader reads a body line by line from a buffer of its own (one a
// worker), so that reading an event allocates nothing once the buffer has
// grown to the stream's longest line (at most max_body, or the line is
// too long).
type streamReader struct {
	buf        []byte
	start, end int
	err        error         // the read error (io.EOF), returned once the buffer is read
	at         time.Duration // when the last read returned data
	// data is the Server-Sent Event being assembled, of dataLines lines.
	data      []byte
	dataLines int
}

// streamBufSize is a stream reader's first buffer.
const streamBufSize = 4096

func (r *streamReader) reset() {
	if r.buf == nil {
		r.buf = make([]byte, streamBufSize)
	}
	r.start, r.end, r.err, r.at = 0, 0, nil, 0
	r.data, r.dataLines = r.data[:0], 0
}

// line returns the next line (without its line feed and a carriage return
// before it), valid until the next call; errTooLong for one longer than
// limit; the read error (io.EOF at the end) once every line was returned.
// now times the reads (r.at).
func (r *streamReader) line(src io.Reader, limit int, now func() time.Duration) ([]byte, error) {
	for {
		if i := bytes.IndexByte(r.buf[r.start:r.end], '\n'); i >= 0 {
			line := r.buf[r.start : r.start+i]
			r.start += i + 1
			if len(line) > limit {
				return nil, errTooLong
			}
			return trimCR(line), nil
		}
		if r.end-r.start > limit {
			return nil, errTooLong
		}
		if r.err != nil {
			if r.start < r.end {
				line := r.buf[r.start:r.end]
				r.start = r.end
				return trimCR(line), nil
			}
			return nil, r.err
		}
		if r.start > 0 {
			r.end = copy(r.buf, r.buf[r.start:r.end])
			r.start = 0
		}
		if r.end == len(r.buf) {
			r.buf = append(r.buf, make([]byte, len(r.buf))...) // grows while a line is unfinished, up to limit
		}
		n, err := src.Read(r.buf[r.end:])
		if n > 0 {
			r.end += n
			r.at = now()
		}
		if err != nil {
			r.err = err
		}
	}
}

func trimCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1]
	}
	return line
}

// streamBuf returns the worker's stream figures for its next streamed
// request, emptied.
//
// Subtleness ahead! The figures (and their gap histogram) go to the
// recorder by pointer, to keep the event small and allocate nothing: the
// worker keeps two and alternates, turning to the other only once an event
// holding one was sent (gapsTaken). The events channel is unbuffered and
// read by one goroutine, which handles each event before it receives the
// next: so when the worker's next send completes, the recorder is done with
// the event before, and the buffer the worker empties now (held by no event
// since the last one sent) is free.
func (w *worker) streamBuf() *streamFigures {
	b := &w.figs[w.figIdx]
	if b.gaps == nil {
		b.gaps = hdr.NewPacked(1, w.e.highest, sigFigs)
	}
	gaps := b.gaps
	gaps.Reset()
	*b = streamFigures{gaps: gaps}
	return b
}

// gapsTaken turns to the other stream figures once an event holding the
// current ones was sent (streamBuf).
func (w *worker) gapsTaken() { w.figIdx ^= 1 }
