package target_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/target"
	"github.com/loadgate/loadgate/target/agent"
	"github.com/loadgate/loadgate/target/store"
)

// sseEvent is one Server-Sent Event as the test client read it.
type sseEvent struct {
	data string
	at   time.Duration // since the request was sent, when its blank line came
}

// readEvents reads the events of an SSE body until it ends (or n events,
// when n > 0), as a client of OpenAI's streaming does: data lines, a blank
// line ending each event; comments and other fields skipped.
func readEvents(t *testing.T, body io.Reader, sent time.Time, n int) []sseEvent {
	t.Helper()
	var (
		evs  []sseEvent
		data []string
	)
	br := bufio.NewReader(body)
	for n <= 0 || len(evs) < n {
		line, err := br.ReadString('\n')
		if err == io.EOF && line == "" {
			break
		}
		if err != nil {
			t.Fatalf("reading the stream: %v (after %d events)", err, len(evs))
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if data != nil {
				evs = append(evs, sseEvent{data: strings.Join(data, "\n"), at: time.Since(sent)})
				data = nil
			}
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
	if data != nil {
		t.Fatalf("the stream ended inside an event: %q", data)
	}
	return evs
}

// wireChunk is a chat.completion.chunk as a client decodes it; pointers
// tell absent or null from empty.
type wireChunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role    *string `json:"role"`
			Content *string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *agent.Usage `json:"usage"`
	Chat  *struct {
		UserMessageID  int64 `json:"user_message_id"`
		ReplyMessageID int64 `json:"reply_message_id"`
		XPAwarded      int   `json:"xp_awarded"`
		XPTotal        int64 `json:"xp_total"`
	} `json:"chat"`
	Error *struct{ Code, Message string } `json:"error"`
}

// parsedStream is a stream checked against the wire format: a role chunk
// with empty content first, content chunks, a finish chunk, an optional
// usage chunk, data: [DONE] last.
type parsedStream struct {
	role    wireChunk
	content []wireChunk
	arrived []time.Duration // of each content chunk
	finish  wireChunk
	usage   *wireChunk // the chunk of its own with empty choices
	text    string
}

func parseStream(t *testing.T, evs []sseEvent) parsedStream {
	t.Helper()
	if len(evs) < 4 || evs[len(evs)-1].data != "[DONE]" {
		t.Fatalf("%d events, want role, content…, finish, [DONE] last: %v", len(evs), evs)
	}
	var p parsedStream
	var chunks []wireChunk
	for _, e := range evs[:len(evs)-1] {
		var c wireChunk
		if err := json.Unmarshal([]byte(e.data), &c); err != nil {
			t.Fatalf("event %q: %v", e.data, err)
		}
		if c.Object != "chat.completion.chunk" || c.ID != chunks0(chunks, c).ID || !strings.HasPrefix(c.ID, "chatcmpl-") || c.Created <= 0 || c.Model == "" {
			t.Fatalf("chunk header %+v", c)
		}
		chunks = append(chunks, c)
	}
	p.role = chunks[0]
	if len(p.role.Choices) != 1 || p.role.Choices[0].Delta.Role == nil || *p.role.Choices[0].Delta.Role != "assistant" ||
		p.role.Choices[0].Delta.Content == nil || *p.role.Choices[0].Delta.Content != "" || p.role.Choices[0].FinishReason != nil {
		t.Fatalf("first chunk %s, want the role with empty content", evs[0].data)
	}
	rest := chunks[1:]
	if last := rest[len(rest)-1]; len(last.Choices) == 0 {
		p.usage = &last
		rest = rest[:len(rest)-1]
	}
	p.finish = rest[len(rest)-1]
	if len(p.finish.Choices) != 1 || p.finish.Choices[0].FinishReason == nil || p.finish.Choices[0].Delta.Content != nil {
		t.Fatalf("finish chunk %+v", p.finish)
	}
	for i, c := range rest[:len(rest)-1] {
		if len(c.Choices) != 1 || c.Choices[0].Delta.Content == nil || *c.Choices[0].Delta.Content == "" ||
			c.Choices[0].FinishReason != nil || c.Choices[0].Delta.Role != nil || c.Usage != nil {
			t.Fatalf("content chunk %s", evs[i+1].data)
		}
		p.content = append(p.content, c)
		p.arrived = append(p.arrived, evs[i+1].at)
		p.text += *c.Choices[0].Delta.Content
	}
	if len(p.content) == 0 {
		t.Fatal("no content chunk")
	}
	return p
}

// chunks0 is the first chunk read, or c when it is the first.
func chunks0(chunks []wireChunk, c wireChunk) wireChunk {
	if len(chunks) == 0 {
		return c
	}
	return chunks[0]
}

// stream posts body to path and returns the response, its headers read.
func (c *client) stream(path, body string, header map[string]string) (*http.Response, time.Time) {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("X-API-Key", c.key)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	sent := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	return resp, sent
}

// history is the last n messages of user id, newest first.
func (c *client) history(id int64, n int) []store.Message {
	c.t.Helper()
	var h struct{ Messages []store.Message }
	c.expect("GET", fmt.Sprintf("/api/v1/users/%d/conversations?limit=%d", id, n), "", 200, &h)
	return h.Messages
}

// TestChatStreamWireFormat: POST /api/v1/chat with stream: true (or Accept:
// text/event-stream) answers the reply the whole chat gives as OpenAI
// chat-completion chunks, flushed as SSE; the finish chunk carries the
// usage and the stored messages' ids, which are in the history once the
// stream is done.
func TestChatStreamWireFormat(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	var whole target.ChatResponse
	c.expect("POST", "/api/v1/chat", `{"user_id":30,"message":"Is salmon good for protein?"}`, 200, &whole)
	for _, tc := range []struct {
		name, body string
		header     map[string]string
	}{
		{"stream true", `{"user_id":30,"message":"Is salmon good for protein?","stream":true}`, nil},
		{"Accept: text/event-stream", `{"user_id":30,"message":"Is salmon good for protein?"}`, map[string]string{"Accept": "application/json;q=0.5, text/event-stream"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, sent := c.stream("/api/v1/chat", tc.body, tc.header)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" ||
				resp.Header.Get("Cache-Control") != "no-cache" || !strings.Contains(resp.Header.Get("Server-Timing"), "llm;dur=") {
				t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
			}
			p := parseStream(t, readEvents(t, resp.Body, sent, 0))
			if p.text != whole.Reply {
				t.Fatalf("streamed %q, whole chat %q", p.text, whole.Reply)
			}
			n := agent.CountTokens(p.text)
			u := p.finish.Usage
			if *p.finish.Choices[0].FinishReason != "stop" || u == nil || u.CompletionTokens != n || len(p.content) != n ||
				u.PromptTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens || p.usage != nil {
				t.Fatalf("finish %+v usage %+v, %d content chunks, %d tokens", p.finish.Choices, u, len(p.content), n)
			}
			if p.role.Model != "loadgate-sim" {
				t.Fatalf("model %q", p.role.Model)
			}
			ids := p.finish.Chat
			h := c.history(30, 2)
			if ids == nil || ids.XPAwarded != 10 || len(h) != 2 || h[0].ID != ids.ReplyMessageID || h[1].ID != ids.UserMessageID ||
				h[0].Content != p.text || h[1].Content != "Is salmon good for protein?" {
				t.Fatalf("finish chunk ids %+v, history %+v", ids, h)
			}
		})
	}
}

// simStreamConfig is a target whose sim streams with a fixed seed and the
// given time to first token and gap (median = p95: no spread).
func simStreamConfig(t *testing.T, ttft, gap time.Duration) target.Config {
	cfg := testConfig(t)
	cfg.LLM = agent.Config{SimSeed: 99, SimTTFTMedian: ttft, SimTTFTP95: 2 * ttft, SimITLMedian: gap, SimITLP95: 2 * gap}
	return cfg
}

// TestChatStreamTiming: each content chunk arrives no earlier than the
// sim's timing (the same seed drawn by a twin sim) says its tokens are
// due, and not much later (a loose bound: the machine is shared). The
// server's own time to first token, gaps and token count move with it.
func TestChatStreamTiming(t *testing.T) {
	t.Parallel()
	cfg := simStreamConfig(t, 40*time.Millisecond, 8*time.Millisecond)
	c := start(t, cfg)
	twin, err := agent.NewSim(cfg.LLM)
	if err != nil {
		t.Fatal(err)
	}
	const (
		tokens = `loadgate_chat_stream_tokens_total{route="chat"}`
		ttft   = `loadgate_chat_time_to_first_token_seconds_count{route="chat"}`
		gaps   = `loadgate_chat_inter_token_seconds_count{route="chat"}`
		done   = `loadgate_chat_streams_total{outcome="completed",route="chat"}`
	)
	tok0, ttft0, gaps0, done0 := c.metric(tokens), c.metric(ttft), c.metric(gaps), c.metric(done)
	resp, sent := c.stream("/api/v1/chat", `{"user_id":31,"message":"I had oats for breakfast, how is my protein today?","stream":true}`, nil)
	p := parseStream(t, readEvents(t, resp.Body, sent, 0))
	n := agent.CountTokens(p.text)
	timing := twin.Draw(n)
	due := make([]time.Duration, n) // when token k is due
	due[0] = timing.TTFT
	for k := 1; k < n; k++ {
		due[k] = due[k-1] + timing.Gaps[k-1]
	}
	tok := 0
	for i, c := range p.content {
		// A chunk holds the tokens due by the time it was sent: its last
		// token's time bounds its arrival from below.
		tok += agent.CountTokens(*c.Choices[0].Delta.Content)
		last := due[min(tok, n)-1]
		if p.arrived[i] < last {
			t.Fatalf("chunk %d (to token %d) arrived at %v, due at %v", i, tok, p.arrived[i], last)
		}
		if p.arrived[i] > last+2*time.Second {
			t.Errorf("chunk %d (to token %d) arrived at %v, due at %v", i, tok, p.arrived[i], last)
		}
	}
	if tok != n {
		t.Fatalf("%d tokens in the chunks, %d in the text", tok, n)
	}
	if got := c.metric(tokens) - tok0; got != float64(n) {
		t.Errorf("tokens counter moved by %v, want %d", got, n)
	}
	if c.metric(ttft) != ttft0+1 || c.metric(gaps) != gaps0+float64(len(p.content)-1) || c.metric(done) != done0+1 {
		t.Errorf("first token count %v→%v, gaps %v→%v (%d chunks), completed %v→%v",
			ttft0, c.metric(ttft), gaps0, c.metric(gaps), len(p.content), done0, c.metric(done))
	}
	// The server's first token came no sooner than the sim's.
	if sum := c.metric(`loadgate_chat_time_to_first_token_seconds_sum{route="chat"}`); sum < timing.TTFT.Seconds() {
		t.Errorf("server-side time to first token %vs, the sim's %v", sum, timing.TTFT)
	}
}
