package target

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/loadgate/loadgate/target/agent"
)

// Bounds of POST /v1/chat/completions.
const (
	// MaxCompletionTokens is the largest max_tokens accepted.
	MaxCompletionTokens = 4096
	// DefaultCompletionUser is the user a completion is for when the
	// request has no X-User-ID header: the seed's first user.
	DefaultCompletionUser = 1
	// maxModelName bounds the model a request names.
	maxModelName = 256
)

// completionRequest is what POST /v1/chat/completions reads of an OpenAI
// chat-completions request; other fields (temperature, top_p, seed, …) are
// accepted and ignored.
type completionRequest struct {
	Model               string              `json:"model"`
	Messages            []completionMessage `json:"messages"`
	Stream              bool                `json:"stream"`
	MaxTokens           *int                `json:"max_tokens"`
	MaxCompletionTokens *int                `json:"max_completion_tokens"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// completionMessage is one message; its content a string, or an array of
// parts of which the text parts count, or null.
type completionMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// text is the message's content as text.
func (m completionMessage) text() (string, error) {
	if len(m.Content) == 0 || string(m.Content) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(m.Content, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(m.Content, &parts); err != nil {
		return "", fmt.Errorf("want a string or an array of content parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", fmt.Errorf("content part of type %q: only text is understood", p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// completion is the body of a POST /v1/chat/completions answered whole.
type completion struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   agent.Usage        `json:"usage"`
}

type completionChoice struct {
	Index        int        `json:"index"`
	Message      agent.Turn `json:"message"`
	Logprobs     *struct{}  `json:"logprobs"` // always null
	FinishReason string     `json:"finish_reason"`
}

// POST /v1/chat/completions: the OpenAI chat-completions API in front of the
// same agent as POST /api/v1/chat, so that a scenario written for a model
// server (vLLM, llama.cpp, Ollama) runs against the target as it is. The
// message is the last user message; the user is X-User-ID's (default
// DefaultCompletionUser), whose memory and history are the context, as in
// chat; the earlier messages of the request are not. The exchange is stored
// and awarded XP as a chat is. The response cache is not used: each answer
// comes from the model, as it would from a model server.
func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	var req completionRequest
	if aerr := decodeLenientJSON(w, r, &req); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	userID, message, aerr := req.check(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	model := req.Model
	if model == "" {
		model = s.modelName()
	}
	ctx := r.Context()
	prompt, t, err := s.prompt(ctx, userID, message)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	prompt.MaxTokens = req.maxTokens()
	if req.Stream {
		usage := usageNone
		if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
			usage = usageOwnChunk
		}
		s.streamReply(w, r, streamed{route: "chat_completions", arrived: arrived, userID: userID, prompt: prompt,
			timing: t, model: model, usage: usage})
		return
	}

	start := time.Now()
	reply, err := s.llm.Complete(ctx, prompt)
	t.llm = time.Since(start)
	if err != nil && ctx.Err() != nil {
		w.WriteHeader(499)
		return
	}
	if err != nil {
		s.llmFailed(w, err)
		return
	}
	start = time.Now()
	ex, err := s.store.SaveExchange(ctx, userID, message, reply.Text, chatXP, "chat")
	t.db += time.Since(start)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.board.awarded(ctx, userID, ex.XPTotal)
	w.Header().Set("Server-Timing", t.header())
	writeJSON(w, http.StatusOK, completion{ID: completionID(), Object: "chat.completion", Created: time.Now().Unix(), Model: model,
		Choices: []completionChoice{{Message: agent.Turn{Role: "assistant", Content: reply.Text}, FinishReason: reply.FinishReason}},
		Usage:   reply.Usage})
}

// check validates the request and returns the user and the message, or
// the error that names what is wrong.
func (req *completionRequest) check(r *http.Request) (int64, string, *apiError) {
	userID := int64(DefaultCompletionUser)
	if v := r.Header.Get("X-User-ID"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return 0, "", badRequest("X-User-ID", "X-User-ID %q: want a positive integer", v)
		}
		userID = id
	}
	if aerr := checkText("model", req.Model, 0, maxModelName); aerr != nil {
		return 0, "", aerr
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"max_tokens", req.MaxTokens}, {"max_completion_tokens", req.MaxCompletionTokens}} {
		if f.v != nil && (*f.v < 1 || *f.v > MaxCompletionTokens) {
			return 0, "", badRequest(f.name, "%s %d: want 1 to %d", f.name, *f.v, MaxCompletionTokens)
		}
	}
	if req.StreamOptions != nil && !req.Stream {
		return 0, "", badRequest("stream_options", "stream_options: only with stream: true")
	}
	if len(req.Messages) == 0 {
		return 0, "", badRequest("messages", "messages: want at least one message")
	}
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role != "user" {
			continue
		}
		field := fmt.Sprintf("messages[%d].content", i)
		text, err := req.Messages[i].text()
		if err != nil {
			return 0, "", badRequest(field, "%s: %v", field, err)
		}
		text = strings.TrimSpace(text)
		if aerr := checkText(field, text, 1, maxMessage); aerr != nil {
			return 0, "", aerr
		}
		return userID, text, nil
	}
	return 0, "", badRequest("messages", "messages: no message with role user")
}

// maxTokens is the request's limit (max_completion_tokens, the newer name,
// first); 0 for none.
func (req *completionRequest) maxTokens() int {
	switch {
	case req.MaxCompletionTokens != nil:
		return *req.MaxCompletionTokens
	case req.MaxTokens != nil:
		return *req.MaxTokens
	}
	return 0
}
