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
	Model    string `json:"model"`
	Messages []Turn `json:"messages"`
}

type chatResponse struct {
	Choices []struct {
		Message Turn `json:"message"`
	} `json:"choices"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
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

// Complete posts the prompt and returns the first choice's content.
func (o *OpenAI) Complete(ctx context.Context, p Prompt) (string, error) {
	body, err := json.Marshal(chatRequest{Model: o.model, Messages: Messages(p)})
	if err != nil {
		return "", fmt.Errorf("openai request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.url, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("openai request to %s: %w", o.shown, redact.Error(err))
	}
	req.Header.Set("Content-Type", "application/json")
	if o.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+o.apiKey)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("openai completion at %s: %w", o.shown, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return "", fmt.Errorf("openai completion at %s: reading response: %w", o.shown, err)
	}
	var cr chatResponse
	jsonErr := json.Unmarshal(raw, &cr)
	if resp.StatusCode != http.StatusOK {
		msg := resp.Status
		if jsonErr == nil && cr.Error != nil && cr.Error.Message != "" {
			msg += ": " + cr.Error.Message
		}
		return "", fmt.Errorf("openai completion at %s: %s", o.shown, msg)
	}
	if jsonErr != nil {
		return "", fmt.Errorf("openai completion at %s: decoding response: %w", o.shown, jsonErr)
	}
	if len(cr.Choices) == 0 || cr.Choices[0].Message.Content == "" {
		return "", fmt.Errorf("openai completion at %s: response has no choices", o.shown)
	}
	return cr.Choices[0].Message.Content, nil
}
