package target_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/loadgate/loadgate/target"
	"github.com/loadgate/loadgate/target/agent"
	"github.com/loadgate/loadgate/target/testdb"
)

// reopen closes c's server, which waits for the requests in flight to end,
// and returns a client of a new server on the same target.
func (c *client) reopen() *client {
	c.t.Helper()
	c.srv.Close()
	srv := httptest.NewUnstartedServer(c.s.Handler())
	srv.Config.WriteTimeout = time.Minute
	srv.Start()
	c.t.Cleanup(srv.Close)
	return &client{t: c.t, srv: srv, s: c.s, key: c.key}
}

// upstream is an OpenAI-compatible model server that streams events, each
// flushed, then holds the request until its client goes; gone is closed
// then.
func upstream(t *testing.T, events ...string) (*httptest.Server, chan struct{}) {
	gone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(gone)
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range events {
			if _, err := fmt.Fprint(w, e); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, gone
}

// upstreamChunk is a chat.completion.chunk event with that delta.
func upstreamChunk(delta string) string {
	return `data: {"id":"chatcmpl-u","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}` + "\n\n"
}

// openAIConfig is a target whose agent is the openai provider at srv.
func openAIConfig(t *testing.T, srv *httptest.Server) target.Config {
	cfg := testConfig(t)
	cfg.LLM = agent.Config{Provider: agent.ProviderOpenAI, BaseURL: srv.URL + "/v1", Model: "upstream-model", Timeout: time.Minute}
	return cfg
}

const (
	disconnected = `loadgate_chat_streams_total{outcome="disconnected",route="chat"}`
	failed       = `loadgate_chat_streams_total{outcome="failed",route="chat"}`
)

// TestChatStreamClientGoneStoresNothing: a client that goes away in the
// middle of the stream leaves no message stored, and the stream ends as
// disconnected (the sim waits an hour for the second token: only the
// client's going ends it).
func TestChatStreamClientGoneStoresNothing(t *testing.T) {
	t.Parallel()
	c := start(t, simStreamConfig(t, time.Millisecond, time.Hour))
	before := c.history(35, 1)
	d0 := c.metric(disconnected)
	resp, sent := c.stream("/api/v1/chat", `{"user_id":35,"message":"what about lentils?","stream":true}`, nil)
	evs := readEvents(t, resp.Body, sent, 2)
	var first wireChunk
	if err := json.Unmarshal([]byte(evs[1].data), &first); err != nil || first.Choices[0].Delta.Content == nil {
		t.Fatalf("second event %q, want the first content", evs[1].data)
	}
	resp.Body.Close()
	c = c.reopen() // the stream's handler has returned
	after := c.history(35, 1)
	if len(after) != len(before) || (len(after) > 0 && after[0].ID != before[0].ID) {
		t.Fatalf("history before %+v, after %+v: something was stored", before, after)
	}
	if got := c.metric(disconnected); got != d0+1 {
		t.Fatalf("disconnected streams %v→%v", d0, got)
	}
}

// smallBuffers makes the server's side of each connection send through a
// small socket buffer, so that a client that does not read blocks it soon.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// TestChatStreamSlowReaderIsGivenUp: a client that stops reading does not
// hold the stream forever: a write that waits longer than the stream write
// timeout ends it, and the model's request with it.
func TestChatStreamSlowReaderIsGivenUp(t *testing.T) {
	t.Parallel()
	big := upstreamChunk(`{"content":"` + strings.Repeat("x", 1024) + `"}`)
	events := []string{upstreamChunk(`{"role":"assistant","content":""}`)}
	for range 2000 { // 2 MiB: far more than the sockets hold
		events = append(events, big)
	}
	llm, modelGone := upstream(t, append(events, "data: [DONE]\n\n")...)
	cfg := openAIConfig(t, llm)
	cfg.StreamWriteTimeout = 300 * time.Millisecond
	s, err := target.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(func() { srv.Close(); s.Close() })
	c := &client{t: t, srv: srv, s: s, key: "dev-key"}
	d0 := c.metric(disconnected)

	// A client with a small receive buffer that reads the headers and
	// then nothing more.
	dialer := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := dialer.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"user_id":36,"message":"tell me everything","stream":true}`
	fmt.Fprintf(conn, "POST /api/v1/chat HTTP/1.1\r\nHost: t\r\nX-API-Key: dev-key\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		t.Fatalf("status line %q, %v", status, err)
	}
	select {
	case <-modelGone:
	case <-time.After(30 * time.Second):
		t.Fatal("the model's request still open 30 s after the client stopped reading")
	}
	c = c.reopen()
	if got := c.metric(disconnected); got != d0+1 {
		t.Fatalf("disconnected streams %v→%v", d0, got)
	}
	if h := c.history(36, 1); len(h) > 0 && h[0].Content == "tell me everything" {
		t.Fatalf("a reply the client never read was stored: %+v", h)
	}
}

// TestChatStreamModelFails: a model that fails before its first token is a
// plain 502, as in the whole chat; one that fails after it ends the stream
// with an error event and no [DONE], and nothing is stored.
func TestChatStreamModelFails(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"message":"overloaded"}}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	c := start(t, openAIConfig(t, down))
	f0 := c.metric(failed)
	var e apiErr
	c.expect("POST", "/api/v1/chat", `{"user_id":37,"message":"hello","stream":true}`, 502, &e)
	if e.Error.Code != "llm_unavailable" {
		t.Fatalf("error %+v", e)
	}

	broken, _ := upstream(t, upstreamChunk(`{"role":"assistant","content":""}`), upstreamChunk(`{"content":"Half "}`),
		`data: {"error":{"message":"the GPU fell over"}}`+"\n\n")
	c2 := start(t, openAIConfig(t, broken))
	before := c2.history(37, 1)
	resp, sent := c2.stream("/api/v1/chat", `{"user_id":37,"message":"hello again","stream":true}`, nil)
	evs := readEvents(t, resp.Body, sent, 0)
	last := evs[len(evs)-1]
	var ec wireChunk
	if resp.StatusCode != 200 || len(evs) != 3 || json.Unmarshal([]byte(last.data), &ec) != nil || ec.Error == nil ||
		ec.Error.Code != "llm_unavailable" || strings.Contains(last.data, "GPU") {
		t.Fatalf("events %v: want role, content, then an error event that does not relay the model's", evs)
	}
	if after := c2.history(37, 1); len(after) != len(before) || (len(after) > 0 && after[0].ID != before[0].ID) {
		t.Fatalf("stored after a failed stream: %+v", after)
	}
	if got := c.metric(failed) + c2.metric(failed); got != f0+2 {
		t.Fatalf("failed streams: %v, want %v", got, f0+2)
	}
}

// TestChatStreamThroughOpenAIProvider: with the openai provider, the
// target relays the model server's chunks and its usage.
func TestChatStreamThroughOpenAIProvider(t *testing.T) {
	t.Parallel()
	llm, _ := upstream(t, upstreamChunk(`{"role":"assistant","content":""}`), upstreamChunk(`{"content":"Eat"}`),
		upstreamChunk(`{"content":" more"}`), upstreamChunk(`{"content":" lentils."}`),
		`data: {"id":"chatcmpl-u","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n",
		`data: {"id":"chatcmpl-u","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":50,"completion_tokens":3,"total_tokens":53}}`+"\n\n",
		"data: [DONE]\n\n")
	c := start(t, openAIConfig(t, llm))
	resp, sent := c.stream("/api/v1/chat", `{"user_id":38,"message":"what should I eat?","stream":true}`, nil)
	p := parseStream(t, readEvents(t, resp.Body, sent, 0))
	if p.text != "Eat more lentils." || len(p.content) != 3 || p.role.Model != "upstream-model" ||
		*p.finish.Usage != (agent.Usage{PromptTokens: 50, CompletionTokens: 3, TotalTokens: 53}) {
		t.Fatalf("relayed %q in %d chunks, model %q, usage %+v", p.text, len(p.content), p.role.Model, p.finish.Usage)
	}
	if h := c.history(38, 1); len(h) != 1 || h[0].Content != "Eat more lentils." {
		t.Fatalf("history %+v", h)
	}
}

// TestChatStreamHostileInput: a streamed chat refuses what the whole chat
// refuses, with the same status, before any stream begins: invalid UTF-8
// inside a JSON string too, as on every route (decodeBody), naming the
// field.
func TestChatStreamHostileInput(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	for _, tc := range []struct {
		name, path, body, field string
		want                    int
	}{
		{"NUL in the message", "/api/v1/chat", `{"user_id":39,"message":"a\u0000b","stream":true}`, "message", 400},
		{"body over 1 MiB", "/api/v1/chat", `{"user_id":39,"stream":true,"message":"` + strings.Repeat("a", 1<<20) + `"}`, "", 413},
		{"unknown field", "/api/v1/chat", `{"user_id":39,"message":"hi","stream":true,"model":"x"}`, "model", 400},
		{"stream not a boolean", "/api/v1/chat", `{"user_id":39,"message":"hi","stream":"yes"}`, "stream", 400},
		{"not JSON", "/api/v1/chat", "\xff\xfe{", "", 400},
		{"not JSON", "/v1/chat/completions", "\xff\xfe{", "", 400},
		{"invalid UTF-8 in the message", "/api/v1/chat", "{\"user_id\":39,\"message\":\"caf\xe9 au lait\",\"stream\":true}", "message", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, b := c.post(tc.path, tc.body, map[string]string{"X-API-Key": "dev-key", "Accept": "text/event-stream"})
			var e apiErr
			if code != tc.want || json.Unmarshal(b, &e) != nil || e.Error.Field != tc.field {
				t.Fatalf("status %d %s, want %d naming %q", code, b, tc.want, tc.field)
			}
		})
	}
}

// TestChatStreamStoresBeforeDone: the exchange is stored before the finish
// chunk and [DONE], so a store that fails (the user deleted while the reply
// streamed: its memory still cached) ends the stream with an error event
// and no [DONE]: a client never reads [DONE] for a reply that was not
// stored.
func TestChatStreamStoresBeforeDone(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	var u struct{ ID int64 }
	c.expect("POST", "/api/v1/users", fmt.Sprintf(`{"name":"Gone","email":"gone%d@example.test"}`, time.Now().UnixNano()), 201, &u)
	c.expect("GET", fmt.Sprintf("/api/v1/users/%d/memory", u.ID), "", 200, nil) // now cached
	db, err := pgx.Connect(context.Background(), testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	if _, err := db.Exec(context.Background(), "DELETE FROM users WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	f0 := c.metric(failed)
	resp, sent := c.stream("/api/v1/chat", fmt.Sprintf(`{"user_id":%d,"message":"still there?","stream":true}`, u.ID), nil)
	evs := readEvents(t, resp.Body, sent, 0)
	last := evs[len(evs)-1]
	var ec wireChunk
	if json.Unmarshal([]byte(last.data), &ec) != nil || ec.Error == nil || ec.Error.Code != "not_found" {
		t.Fatalf("last event %q, want an error event", last.data)
	}
	for _, e := range evs {
		if e.data == "[DONE]" || strings.Contains(e.data, `"finish_reason":"stop"`) {
			t.Fatalf("event %q: the stream said done though nothing was stored", e.data)
		}
	}
	if got := c.metric(failed); got != f0+1 {
		t.Fatalf("failed streams %v→%v", f0, got)
	}
}
