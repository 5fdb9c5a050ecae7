package agent_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/target/agent"
)

var prompt = agent.Prompt{
	Message:  "How much protein is in salmon?",
	Memory:   []string{"profile: age 30", "goal: eat 120 g of protein a day"},
	History:  []agent.Turn{{Role: "user", Content: "hi"}, {Role: "assistant", Content: "hello"}},
	Recalled: []string{"trains in the morning"},
	Foods:    []string{"salmon fillet: 208 kcal, 20.0 g protein, 0.0 g carbs, 13.0 g fat per 100 g"},
}

// openAIServer answers chat completions the way the OpenAI API does and
// records the last request.
func openAIServer(t *testing.T, status int, reply string) (*httptest.Server, *http.Request, *map[string]any) {
	var last http.Request
	body := map[string]any{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		last = *r
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("request body: %v", err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status != 200 {
			w.Write([]byte(`{"error":{"message":"model overloaded","type":"server_error"}}`))
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": reply}}},
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &last, &body
}

func TestOpenAISpeaksChatCompletions(t *testing.T) {
	t.Parallel()
	srv, last, body := openAIServer(t, 200, "Salmon has about 20 g of protein per 100 g.")
	p, err := agent.New(agent.Config{Provider: "openai", BaseURL: srv.URL + "/v1/", Model: "local-model", APIKey: "sk-test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Complete(context.Background(), prompt)
	if err != nil || got.Text != "Salmon has about 20 g of protein per 100 g." || got.FinishReason != agent.FinishStop {
		t.Fatalf("Complete = %+v, %v", got, err)
	}
	if last.URL.Path != "/v1/chat/completions" || last.Method != "POST" {
		t.Fatalf("request %s %s", last.Method, last.URL.Path)
	}
	if last.Header.Get("Authorization") != "Bearer sk-test" {
		t.Fatalf("authorization header %q", last.Header.Get("Authorization"))
	}
	if (*body)["model"] != "local-model" {
		t.Fatalf("model %v", (*body)["model"])
	}
	msgs := (*body)["messages"].([]any)
	if len(msgs) != 4 {
		t.Fatalf("%d messages, want system + 2 history + user", len(msgs))
	}
	sys := msgs[0].(map[string]any)
	user := msgs[3].(map[string]any)
	if sys["role"] != "system" || !strings.Contains(sys["content"].(string), "120 g of protein") ||
		!strings.Contains(sys["content"].(string), "salmon fillet: 208 kcal") {
		t.Fatalf("system message %v", sys)
	}
	if user["role"] != "user" || user["content"] != prompt.Message {
		t.Fatalf("user message %v", user)
	}
}

func TestOpenAIErrorsNameTheServer(t *testing.T) {
	t.Parallel()
	srv, _, _ := openAIServer(t, 503, "")
	p, _ := agent.New(agent.Config{Provider: "openai", BaseURL: srv.URL, APIKey: "sk-secret"}, nil)
	_, err := p.Complete(context.Background(), prompt)
	if err == nil || !strings.Contains(err.Error(), srv.URL) || !strings.Contains(err.Error(), "model overloaded") {
		t.Fatalf("error %v, want the URL and the server's message", err)
	}
	if strings.Contains(err.Error(), "sk-secret") {
		t.Fatal("error leaks the API key")
	}
	empty, _, _ := openAIServer(t, 200, "")
	p, _ = agent.New(agent.Config{Provider: "openai", BaseURL: empty.URL}, nil)
	if _, err := p.Complete(context.Background(), prompt); err == nil || !strings.Contains(err.Error(), "no choices") {
		t.Fatalf("empty reply: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  agent.Config
		want string
	}{
		{"unknown provider", agent.Config{Provider: "gpt"}, `llm provider "gpt"`},
		{"openai without URL", agent.Config{Provider: "openai"}, "base URL is required"},
		{"openai with a bad URL", agent.Config{Provider: "openai", BaseURL: "localhost:8000"}, "want http:// or https://"},
		{"sim p95 below median", agent.Config{SimMedian: time.Second, SimP95: time.Millisecond}, "below median"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := agent.New(tc.cfg, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSimIsDeterministicAndUsesTheContext(t *testing.T) {
	t.Parallel()
	p, err := agent.New(agent.Config{SimNoDelay: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.Complete(context.Background(), prompt)
	b, _ := p.Complete(context.Background(), prompt)
	if a != b {
		t.Fatalf("replies differ: %+v / %+v", a, b)
	}
	for _, want := range []string{"salmon fillet: 208 kcal", "eat 120 g of protein a day", "trains in the morning"} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("reply %q lacks %q", a.Text, want)
		}
	}
}

func TestSimHonoursCancellation(t *testing.T) {
	t.Parallel()
	s, _ := agent.NewSim(agent.Config{SimMedian: time.Hour, SimP95: 2 * time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Complete(ctx, prompt); err == nil {
		t.Fatal("cancelled completion succeeded")
	}
}

// TestOpenAIErrorsHideThePassword: a base URL with a password is named in
// errors without it.
func TestOpenAIErrorsHideThePassword(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadGateway)
	}))
	defer srv.Close()
	base := strings.Replace(srv.URL, "http://", "http://user:s3cr3t@", 1)
	p, err := agent.NewOpenAI(agent.Config{BaseURL: base}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Complete(context.Background(), agent.Prompt{Message: "hi"})
	if err == nil || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "user:xxxxx@") {
		t.Errorf("error %v: want the URL without its password", err)
	}
	_, err = agent.NewOpenAI(agent.Config{BaseURL: "ftp://user:s3cr3t@h"}, nil)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %v: want the URL without its password", err)
	}
}
