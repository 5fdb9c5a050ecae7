package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/target/agent"
)

// sseServer answers chat completions with the Server-Sent Events of events,
// each flushed on its own, as an OpenAI-compatible server streams. Before
// writing the event at index wait (when not negative) it waits until the
// test closes proceed. It records the last request's body and headers.
type sseServer struct {
	srv     *httptest.Server
	body    map[string]any
	header  http.Header
	proceed chan struct{}
}

func newSSEServer(t *testing.T, contentType string, wait int, events ...string) *sseServer {
	s := &sseServer{proceed: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.header = r.Header.Clone()
		if err := json.NewDecoder(r.Body).Decode(&s.body); err != nil {
			t.Errorf("request body: %v", err)
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusOK)
		for i, e := range events {
			if i == wait {
				select {
				case <-s.proceed:
				case <-r.Context().Done():
					return
				}
			}
			fmt.Fprint(w, e)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// chunk is an OpenAI chat.completion.chunk event with that delta and finish.
func chunk(delta, finish string) string {
	f := "null"
	if finish != "" {
		f = `"` + finish + `"`
	}
	return `data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":` + delta + `,"logprobs":null,"finish_reason":` + f + `}]}` + "\n\n"
}

// TestOpenAIStreamRelaysChunksAsTheyArrive: with stream: true upstream, each
// content delta reaches emit before the server sends the next (the server
// holds its third event until the test has seen the first content), the
// role chunk and the finish chunk are not content, and the server's usage
// and finish reason are the reply's.
func TestOpenAIStreamRelaysChunksAsTheyArrive(t *testing.T) {
	t.Parallel()
	s := newSSEServer(t, "text/event-stream; charset=utf-8", 2,
		chunk(`{"role":"assistant","content":""}`, ""),
		chunk(`{"content":"Salmon"}`, ""),
		": keep-alive comment\n\n",
		chunk(`{"content":" has 20 g"}`, ""),
		chunk(`{"content":" of protein."}`, ""),
		chunk(`{}`, "stop"),
		`data: {"id":"chatcmpl-9","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":57,"completion_tokens":7,"total_tokens":64}}`+"\n\n",
		"data: [DONE]\n\n")
	p, err := agent.New(agent.Config{Provider: "openai", BaseURL: s.srv.URL + "/v1", Model: "local", APIKey: "sk-t"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := prompt
	q.MaxTokens = 64
	var got []agent.Chunk
	r, err := p.Stream(context.Background(), q, func(c agent.Chunk) error {
		got = append(got, c)
		if len(got) == 1 {
			close(s.proceed)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []agent.Chunk{{Text: "Salmon", Tokens: 1}, {Text: " has 20 g", Tokens: 1}, {Text: " of protein.", Tokens: 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("chunks %+v, want %+v", got, want)
	}
	if r.Text != "Salmon has 20 g of protein." || r.FinishReason != "stop" ||
		r.Usage != (agent.Usage{PromptTokens: 57, CompletionTokens: 7, TotalTokens: 64}) {
		t.Fatalf("reply %+v", r)
	}
	if s.body["stream"] != true || s.body["max_tokens"] != 64.0 || s.body["model"] != "local" {
		t.Fatalf("upstream request %v", s.body)
	}
	if so, _ := s.body["stream_options"].(map[string]any); so["include_usage"] != true {
		t.Fatalf("stream_options %v", s.body["stream_options"])
	}
	if s.header.Get("Accept") != "text/event-stream" || s.header.Get("Authorization") != "Bearer sk-t" {
		t.Fatalf("upstream headers %v", s.header)
	}
}

// TestOpenAIStreamWithoutUsage: a server that sends no usage (no
// include_usage support) gets its content chunks counted, and a stream that
// ends after its finish reason without [DONE] is whole.
func TestOpenAIStreamWithoutUsage(t *testing.T) {
	t.Parallel()
	s := newSSEServer(t, "text/event-stream", -1,
		chunk(`{"role":"assistant"}`, ""), chunk(`{"content":"a"}`, ""), chunk(`{"content":"b c"}`, ""), chunk(`{}`, "length"))
	p, _ := agent.NewOpenAI(agent.Config{BaseURL: s.srv.URL}, s.srv.Client())
	_, r := collect(t, p, prompt)
	if r.Text != "ab c" || r.FinishReason != "length" || r.Usage.CompletionTokens != 2 ||
		r.Usage.PromptTokens != agent.PromptTokens(prompt) || r.Usage.TotalTokens != r.Usage.PromptTokens+2 {
		t.Fatalf("reply %+v", r)
	}
	if _, ok := s.body["max_tokens"]; ok {
		t.Fatalf("max_tokens sent without a limit: %v", s.body)
	}
}

// TestOpenAIStreamErrors: each way an upstream stream goes wrong is an
// error that names the server and what was wrong, never a reply.
func TestOpenAIStreamErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, contentType string
		events            []string
		want              string
	}{
		{"error event mid-stream", "text/event-stream", []string{chunk(`{"content":"a"}`, ""), `data: {"error":{"message":"out of memory"}}` + "\n\n"}, "server error: out of memory"},
		{"ends before [DONE]", "text/event-stream", []string{chunk(`{"content":"a"}`, "")}, "stream ended before data: [DONE]"},
		{"JSON where a stream was expected", "application/json", []string{`{"choices":[]}`}, `Content-Type "application/json", want text/event-stream`},
		{"malformed event", "text/event-stream", []string{"data: {not json\n\n"}, "malformed event"},
		{"event line over the limit", "text/event-stream", []string{"data: " + strings.Repeat("x", 1<<20+1) + "\n\n"}, "an event line over"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSSEServer(t, tc.contentType, -1, tc.events...)
			p, _ := agent.NewOpenAI(agent.Config{BaseURL: s.srv.URL}, s.srv.Client())
			_, err := p.Stream(context.Background(), prompt, func(agent.Chunk) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), s.srv.URL) {
				t.Fatalf("err %v, want %q and the server's URL", err, tc.want)
			}
		})
	}
	srv, _, _ := openAIServer(t, 503, "")
	p, _ := agent.NewOpenAI(agent.Config{BaseURL: srv.URL}, srv.Client())
	if _, err := p.Stream(context.Background(), prompt, func(agent.Chunk) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "model overloaded") {
		t.Fatalf("503: %v", err)
	}
}

// TestOpenAIStreamStopsWhenEmitFails: the client of the target went away:
// the upstream request is given up (its context ends) and the error says why.
func TestOpenAIStreamStopsWhenEmitFails(t *testing.T) {
	t.Parallel()
	s := newSSEServer(t, "text/event-stream", 2, chunk(`{"content":"a"}`, ""), chunk(`{"content":"b"}`, ""), "data: [DONE]\n\n")
	p, _ := agent.NewOpenAI(agent.Config{BaseURL: s.srv.URL}, s.srv.Client())
	gone := errors.New("client gone")
	_, err := p.Stream(context.Background(), prompt, func(agent.Chunk) error { return gone })
	if !errors.Is(err, gone) {
		t.Fatalf("err %v, want the emit's", err)
	}
}

// TestOpenAICompleteReportsUsage: a whole answer's usage and finish reason
// are the server's; without usage, words are counted.
func TestOpenAICompleteReportsUsage(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		if body["max_tokens"] == 2.0 {
			fmt.Fprint(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":"Eat fish"},"finish_reason":"length"}],"usage":{"prompt_tokens":30,"completion_tokens":2,"total_tokens":32}}`)
			return
		}
		fmt.Fprint(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":"Eat more fish."}}]}`)
	}))
	defer srv.Close()
	p, _ := agent.NewOpenAI(agent.Config{BaseURL: srv.URL}, srv.Client())
	q := prompt
	q.MaxTokens = 2
	r, err := p.Complete(context.Background(), q)
	if err != nil || r.FinishReason != "length" || r.Usage != (agent.Usage{PromptTokens: 30, CompletionTokens: 2, TotalTokens: 32}) {
		t.Fatalf("with usage: %+v, %v", r, err)
	}
	r, err = p.Complete(context.Background(), prompt)
	if err != nil || r.FinishReason != "stop" || r.Usage.CompletionTokens != 3 || r.Usage.PromptTokens != agent.PromptTokens(prompt) {
		t.Fatalf("without usage: %+v, %v", r, err)
	}
}
