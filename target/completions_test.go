package target_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/target/agent"
)

// completionBody is POST /v1/chat/completions answered whole, as a client
// decodes it.
type completionBody struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int        `json:"index"`
		Message      agent.Turn `json:"message"`
		FinishReason string     `json:"finish_reason"`
	} `json:"choices"`
	Usage agent.Usage `json:"usage"`
}

// post sends body to path with the given headers (and no X-API-Key unless
// given) and returns the status and the body.
func (c *client) post(path, body string, header map[string]string) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// bearer is the headers of an OpenAI client: the key as a bearer token.
var bearer = map[string]string{"Authorization": "Bearer dev-key", "Content-Type": "application/json"}

// with is h and more headers.
func with(h map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestChatCompletionsWhole: the OpenAI request an SDK sends (bearer key,
// sampling parameters the target ignores, a system message, content as
// parts) gets a chat.completion with usage; the last user message is
// stored as user X-User-ID's chat; max_tokens cuts the reply.
func TestChatCompletionsWhole(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	body := `{"model":"my-model","temperature":0.2,"top_p":1,"seed":7,"messages":[` +
		`{"role":"system","content":"be brief"},{"role":"user","content":"earlier question"},{"role":"assistant","content":"earlier answer"},` +
		`{"role":"user","content":[{"type":"text","text":"How much protein "},{"type":"text","text":"is in lentils?"}]}]}`
	code, b := c.post("/v1/chat/completions", body, with(bearer, "X-User-ID", "33"))
	var r completionBody
	if err := json.Unmarshal(b, &r); code != 200 || err != nil {
		t.Fatalf("status %d: %s (%v)", code, b, err)
	}
	if r.Object != "chat.completion" || !strings.HasPrefix(r.ID, "chatcmpl-") || r.Created <= 0 || r.Model != "my-model" ||
		len(r.Choices) != 1 || r.Choices[0].Message.Role != "assistant" || r.Choices[0].FinishReason != "stop" {
		t.Fatalf("completion %s", b)
	}
	reply := r.Choices[0].Message.Content
	if n := agent.CountTokens(reply); r.Usage.CompletionTokens != n || r.Usage.PromptTokens <= 0 ||
		r.Usage.TotalTokens != r.Usage.PromptTokens+n || !strings.Contains(reply, "lentils") {
		t.Fatalf("reply %q usage %+v", reply, r.Usage)
	}
	h := c.history(33, 2)
	if len(h) != 2 || h[1].Content != "How much protein is in lentils?" || h[0].Content != reply {
		t.Fatalf("history %+v", h)
	}
	code, b = c.post("/v1/chat/completions", `{"model":"m","max_tokens":4,"messages":[{"role":"user","content":"tofu or eggs?"}]}`,
		with(bearer, "X-User-ID", "33"))
	if err := json.Unmarshal(b, &r); code != 200 || err != nil || r.Choices[0].FinishReason != "length" ||
		r.Usage.CompletionTokens != 4 || agent.CountTokens(r.Choices[0].Message.Content) != 4 {
		t.Fatalf("max_tokens 4: %d %s", code, b)
	}
}

// TestChatCompletionsDefaultUser: without X-User-ID the exchange is the
// default user's.
func TestChatCompletionsDefaultUser(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	msg := fmt.Sprintf("default user check %d", time.Now().UnixNano())
	if code, b := c.post("/v1/chat/completions", `{"messages":[{"role":"user","content":"`+msg+`"}]}`, bearer); code != 200 {
		t.Fatalf("status %d: %s", code, b)
	}
	for _, m := range c.history(1, 20) {
		if m.Content == msg {
			return
		}
	}
	t.Fatalf("%q not in user 1's history", msg)
}

// TestChatCompletionsStream: stream: true answers chunks as OpenAI does:
// no usage unless stream_options.include_usage asks, then in a chunk of its
// own with empty choices before [DONE]; the message is stored.
func TestChatCompletionsStream(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	openai := *c
	openai.key = "" // the bearer token instead
	for _, tc := range []struct {
		name, extra string
		usage       bool
	}{
		{"without usage", ``, false},
		{"with include_usage", `,"stream_options":{"include_usage":true}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, sent := openai.stream("/v1/chat/completions", `{"model":"m","stream":true`+tc.extra+`,"messages":[{"role":"user","content":"salmon or tuna?"}]}`,
				with(bearer, "X-User-ID", "34"))
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
			}
			p := parseStream(t, readEvents(t, resp.Body, sent, 0))
			if p.role.Model != "m" || p.finish.Usage != nil || p.finish.Chat != nil || *p.finish.Choices[0].FinishReason != "stop" {
				t.Fatalf("finish chunk %+v", p.finish)
			}
			if (p.usage != nil) != tc.usage {
				t.Fatalf("usage chunk %+v, want one: %v", p.usage, tc.usage)
			}
			if tc.usage && (p.usage.Usage == nil || p.usage.Usage.CompletionTokens != agent.CountTokens(p.text) || p.usage.Choices == nil) {
				t.Fatalf("usage chunk %+v", p.usage)
			}
			if h := c.history(34, 1); len(h) != 1 || h[0].Content != p.text {
				t.Fatalf("history %+v, streamed %q", h, p.text)
			}
		})
	}
}

// TestChatCompletionsBadRequests: what the route cannot answer is a 4xx
// naming the field, never a 5xx nor a stream.
func TestChatCompletionsBadRequests(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	user := `{"role":"user","content":"hi"}`
	for _, tc := range []struct {
		name, body, userID, field string
		want                      int
	}{
		{"no messages", `{"model":"m","messages":[]}`, "", "messages", 400},
		{"no user message", `{"messages":[{"role":"system","content":"x"}]}`, "", "messages", 400},
		{"empty user message", `{"messages":[{"role":"user","content":"  "}]}`, "", "messages[0].content", 400},
		{"content of another type", `{"messages":[{"role":"user","content":42}]}`, "", "messages[0].content", 400},
		{"image part", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, "", "messages[0].content", 400},
		{"NUL in the message", `{"messages":[{"role":"user","content":"a\u0000b"}]}`, "", "messages[0].content", 400},
		{"message too long", `{"messages":[{"role":"user","content":"` + strings.Repeat("a", 4001) + `"}]}`, "", "messages[0].content", 400},
		{"max_tokens 0", `{"max_tokens":0,"messages":[` + user + `]}`, "", "max_tokens", 400},
		{"max_tokens over the bound", `{"max_tokens":4097,"stream":true,"messages":[` + user + `]}`, "", "max_tokens", 400},
		{"max_completion_tokens negative", `{"max_completion_tokens":-1,"messages":[` + user + `]}`, "", "max_completion_tokens", 400},
		{"max_tokens not a number", `{"max_tokens":"10","messages":[` + user + `]}`, "", "max_tokens", 400},
		{"stream_options without stream", `{"stream_options":{"include_usage":true},"messages":[` + user + `]}`, "", "stream_options", 400},
		{"user id not a number", `{"messages":[` + user + `]}`, "abc", "X-User-ID", 400},
		{"user id not UTF-8", `{"messages":[` + user + `]}`, "\xff1", "X-User-ID", 400},
		{"malformed JSON", `{"messages":[`, "", "", 400},
		{"trailing data", `{"messages":[` + user + `]} {}`, "", "", 400},
		{"unknown user", `{"stream":true,"messages":[` + user + `]}`, "999999", "", 404},
		{"body over 1 MiB", `{"messages":[` + user + `],"pad":"` + strings.Repeat("x", 1<<20) + `"}`, "", "", 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := bearer
			if tc.userID != "" {
				h = with(bearer, "X-User-ID", tc.userID)
			}
			code, b := c.post("/v1/chat/completions", tc.body, h)
			var e apiErr
			if code != tc.want || json.Unmarshal(b, &e) != nil || e.Error.Field != tc.field || e.Error.Message == "" {
				t.Fatalf("status %d %s, want %d naming field %q", code, b, tc.want, tc.field)
			}
		})
	}
}

// TestBearerKey: every route takes the key as X-API-Key or as an
// Authorization bearer token, OpenAI clients' way; nothing else passes.
func TestBearerKey(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	body := `{"messages":[{"role":"user","content":"hello"}]}`
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"bearer", map[string]string{"Authorization": "Bearer dev-key"}, 200},
		{"bearer in lower case", map[string]string{"Authorization": "bearer dev-key"}, 200},
		{"X-API-Key", map[string]string{"X-API-Key": "dev-key"}, 200},
		{"wrong bearer", map[string]string{"Authorization": "Bearer sk-nope"}, 401},
		{"basic", map[string]string{"Authorization": "Basic ZGV2LWtleQ=="}, 401},
		{"bearer without a token", map[string]string{"Authorization": "Bearer "}, 401},
		{"none", nil, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, b := c.post("/v1/chat/completions", body, tc.header); code != tc.want {
				t.Fatalf("completions: status %d, want %d: %s", code, tc.want, b)
			}
			c.key = ""
			req, _ := http.NewRequest("GET", c.srv.URL+"/api/v1/nutrition/foods/1", nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("food: status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
