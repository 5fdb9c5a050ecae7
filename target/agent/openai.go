package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/loadgate/loadgate/redact"
)

// OpenAI speaks the chat-completions wire format (POST {base}/chat/completions)
// to any compatible server: a hosted API, a proxy, a local model server.
type OpenAI struct {
	url, model, apiKey string
	shown              string // url as errors name it: without a password
	client             *http.Client
}

var _ Provider = (*OpenAI)(nil)

// NewOpenAI returns the openai provider of cfg; BaseURL is required.
func NewOpenAI(cfg Config, client *http.Client) (*OpenAI, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("openai provider: base URL is required (e.g. http://127.0.0.1:11434/v1)")
	}
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return nil, fmt.Errorf("openai provider: base URL %q: want http:// or https://", redact.URL(cfg.BaseURL))
	}
	model := cfg.Model
	if model == "" {
		model = DefaultOpenAIModel
	}
	url := strings.TrimRight(cfg.BaseURL, "/") + "/chat/completions"
	return &OpenAI{url: url, shown: redact.URL(url), model: model, apiKey: cfg.APIKey, client: client}, nil
}

// Name is "openai".
func (o *OpenAI) Name() string { return ProviderOpenAI }

type chatRequest struct {
	Model         string         `json:"model"`
	Messages      []Turn         `json:"messages"`
	MaxTokens     int            `json:"max_tokens,omitempty"`
	Stream        bool           `json:"stream,omitempty"`
	StreamOptions *streamOptions `json:"stream_options,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chatResponse struct {
	Choices []struct {
		Message      Turn   `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *Usage     `json:"usage"`
	Error *errorBody `json:"error"`
}

type errorBody struct {
	Message string `json:"message"`
}

// SystemPrompt is the instruction sent ahead of the context.
const SystemPrompt = "You are a concise nutrition and fitness coach. Use the user's memory, recent conversation and the nutrition facts given."

// Messages renders a prompt as chat-completions messages: the system prompt
// with the context, the history, then the user's message.
func Messages(p Prompt) []Turn {
	var sys strings.Builder
	sys.WriteString(SystemPrompt)
	section := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		sys.WriteString("\n\n" + title + ":\n- ")
		sys.WriteString(strings.Join(items, "\n- "))
	}
	section("What you remember about the user", p.Memory)
	section("Memories related to this message", p.Recalled)
	section("Nutrition facts (per 100 g)", p.Foods)
	msgs := make([]Turn, 0, len(p.History)+2)
	msgs = append(msgs, Turn{Role: "system", Content: sys.String()})
	msgs = append(msgs, p.History...)
	return append(msgs, Turn{Role: "user", Content: p.Message})
}

// maxReply bounds what is read of one answer, whole or streamed.
const maxReply = 4 << 20

// post sends the prompt (streamed or not) and returns the response when its
// status is 200; any other status is an error with the server's message.
func (o *OpenAI) post(ctx context.Context, p Prompt, stream bool) (*http.Response, error) {
	cr := chatRequest{Model: o.model, Messages: Messages(p), MaxTokens: p.MaxTokens, Stream: stream}
	if stream {
		cr.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	body, err := json.Marshal(cr)
	if err != nil {
		return nil, fmt.Errorf("openai request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("openai request to %s: %w", o.shown, redact.Error(err))
	}
	req.Header.Set("Content-Type", "application/json")
	if stream {
		req.Header.Set("Accept", "text/event-stream")
	}
	if o.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+o.apiKey)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("openai completion at %s: %w", o.shown, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	msg := resp.Status
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	var cr2 chatResponse
	if json.Unmarshal(raw, &cr2) == nil && cr2.Error != nil && cr2.Error.Message != "" {
		msg += ": " + cr2.Error.Message
	}
	return nil, fmt.Errorf("openai completion at %s: %s", o.shown, msg)
}

// Complete posts the prompt and returns the first choice's content.
func (o *OpenAI) Complete(ctx context.Context, p Prompt) (Reply, error) {
	resp, err := o.post(ctx, p, false)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return Reply{}, fmt.Errorf("openai completion at %s: reading response: %w", o.shown, err)
	}
	var cr chatResponse
	if err := json.Unmarshal(raw, &cr); err != nil {
		return Reply{}, fmt.Errorf("openai completion at %s: decoding response: %w", o.shown, err)
	}
	if len(cr.Choices) == 0 || cr.Choices[0].Message.Content == "" {
		return Reply{}, fmt.Errorf("openai completion at %s: response has no choices", o.shown)
	}
	c := cr.Choices[0]
	r := Reply{Text: c.Message.Content, FinishReason: finishReason(c.FinishReason)}
	r.Usage = usage(cr.Usage, p, CountTokens(r.Text))
	return r, nil
}

// finishReason is the server's, "stop" when it gave none.
func finishReason(s string) string {
	if s == "" {
		return FinishStop
	}
	return s
}

// usage is the server's usage when it reported one, else the prompt's and
// the reply's tokens counted here (completion of them).
func usage(u *Usage, p Prompt, completion int) Usage {
	if u != nil && u.CompletionTokens > 0 {
		if u.TotalTokens == 0 {
			u.TotalTokens = u.PromptTokens + u.CompletionTokens
		}
		return *u
	}
	n := PromptTokens(p)
	return Usage{PromptTokens: n, CompletionTokens: completion, TotalTokens: n + completion}
}
