package runner

import (
	"io"
	"net/http"
)

// sender sends one request of the flow engine and reads its response: the
// seam between the engine's scheduler (which paces, builds the request
// and judges the response) and a way of reading a response. bodySender
// reads a body whole; streamSender reads it as a stream of events (Server-
// Sent Events, or JSON lines).
type sender interface {
	// send sends req with c and reads the response into res: when it ended
	// (res.end, since the engine began), its status, bytes in, headers, a
	// stream's figures, and when the exchange failed the error and its
	// kind. It returns the response, its body read and closed, and whether
	// the body kept for the checks (worker.respBody) was cut at max_body;
	// nil when no response came (res.kind says why).
	send(w *worker, st *compiledStep, c *http.Client, req *http.Request, res *result) (resp *http.Response, cut bool)
}

var (
	_ sender = bodySender{}
	_ sender = streamSender{}
)

// bodySender reads a response body whole: into the worker's buffer up to
// max_body when the step's checks read it, the rest counted and dropped.
type bodySender struct{}

func (bodySender) send(w *worker, st *compiledStep, c *http.Client, req *http.Request, res *result) (*http.Response, bool) {
	resp, err := c.Do(req)
	if err != nil {
		res.end = w.e.since()
		res.err, res.kind = err, errorKind(err)
		return nil, false
	}
	n, cut, err := w.readBody(st, resp)
	resp.Body.Close()
	res.end = w.e.since()
	res.bytesIn = n
	if err != nil {
		res.err, res.kind = err, errorKind(err)
		return nil, false
	}
	res.code = uint16(min(resp.StatusCode, 65535))
	res.header = resp.Header
	return resp, cut
}

// drain reads what is left of a body, counted, and closes it.
func drain(body io.ReadCloser, counted *counter) error {
	_, err := io.Copy(io.Discard, counted)
	body.Close()
	return err
}
