package runner

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Bytes received (bytes_in) are a response body's bytes as the connection
// carried them: after HTTP/1.1's chunked framing is taken off, before any
// Content-Encoding is decoded; the status line, the headers and trailers
// are not counted, nor the bodies of the redirects a request followed. So
// the attack's client never decodes (DisableCompression), and each request
// asks for gzip itself where Go's client would have (askGzip): the target
// sees the same request, and a body that a gzip bomb inflates to gigabytes
// counts the few megabytes it was on the wire.

// askGzip reports whether a request with header and method gets
// "Accept-Encoding: gzip" from loadgate, as Go's transport would add it:
// the scenario sets no Accept-Encoding nor Range (templated included), and
// the method is not HEAD. Such a request's gzip body is loadgate's to
// decode, for a flow step's checks.
func askGzip(method string, header http.Header, tmpls []headerTmpl) bool {
	if strings.EqualFold(method, http.MethodHead) || header.Get("Accept-Encoding") != "" || header.Get("Range") != "" {
		return false
	}
	for _, h := range tmpls {
		if h.key == "Accept-Encoding" || h.key == "Range" {
			return false
		}
	}
	return true
}

// countBodies wraps the vegeta attack's transport so that each response's
// Content-Length header holds the bytes its body carried, once the body has
// been read to its end: vegeta keeps no body (MaxBody 0) and so counts
// nothing in, and the recorder takes a response's bytes from its
// Content-Length (counters.add). Subtleness ahead! This rewrites a header
// of the response as loadgate sees it: Content-Length is the length of the
// body as sent (content coding included), which is what was counted, so
// for a body with a Content-Length the value is the same; a chunked one
// gets the Content-Length it would have had; a HEAD response (no body)
// gets 0 instead of the length it announced for a GET.
type countBodies struct{ next http.RoundTripper }

func (c countBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	resp.Body = &countedBody{body: resp.Body, header: resp.Header}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the transport
// under it, as http.Client.CloseIdleConnections asks.
func (c countBodies) CloseIdleConnections() {
	if t, ok := c.next.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// countedBody counts what is read of a response body and, at its end (or
// a read error), writes the count into the response's Content-Length.
type countedBody struct {
	body   io.ReadCloser
	header http.Header
	n      int64
	done   bool
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.n += int64(n)
	if err != nil && !b.done {
		b.done = true
		b.header["Content-Length"] = []string{strconv.FormatInt(b.n, 10)}
	}
	return n, err
}

func (b *countedBody) Close() error { return b.body.Close() }

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readBody reads a flow step's response body: into w.respBody, up to the
// target's max_body, when the step's checks or extracts read it (decoded
// when loadgate asked for gzip and got it); the rest is read and dropped
// as it came, undecoded. It returns the bytes the body carried (bytes in)
// and whether the body went on beyond what was kept.
func (w *worker) readBody(st *compiledStep, resp *http.Response) (n int64, cut bool, err error) {
	w.counted = counter{r: resp.Body}
	src := io.Reader(&w.counted)
	if st.needBody && st.gunzip && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		// gzip reads through a bufio.Reader of the worker's, which it
		// would otherwise allocate on every Reset.
		if w.zbuf == nil {
			w.zbuf = bufio.NewReader(&w.counted)
		} else {
			w.zbuf.Reset(&w.counted)
		}
		if w.gz == nil {
			w.gz, err = gzip.NewReader(w.zbuf)
		} else {
			err = w.gz.Reset(w.zbuf)
		}
		if err != nil {
			return w.counted.n, false, err
		}
		src = w.gz
	}
	if st.needBody {
		w.respBody, _, err = readBounded(w.respBody[:0], src, w.e.set.maxBody)
		if err == nil && len(w.respBody) == w.e.set.maxBody {
			var one [1]byte
			k, rerr := io.ReadFull(src, one[:])
			cut = k > 0
			if rerr != nil && rerr != io.EOF {
				err = rerr
			}
		}
	}
	if err == nil {
		_, err = io.Copy(io.Discard, &w.counted)
	}
	return w.counted.n, cut, err
}
