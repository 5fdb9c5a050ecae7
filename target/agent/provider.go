// Package agent holds the chat agent's language model: the Provider
// interface and its two implementations, Sim (the default: latency drawn from
// a distribution, a deterministic reply composed from the context) and OpenAI
// (any server that speaks the OpenAI chat-completions wire format).
//
// It does not gather the context nor store the answer; the target's chat
// handler does that and hands a Prompt to the provider.
package agent

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Prompt is what the agent knows when it answers.
type Prompt struct {
	// Message is the user's message.
	Message string
	// Memory is what is remembered about the user, "kind: content" per item.
	Memory []string
	// History is the last turns, oldest first.
	History []Turn
	// Recalled are memories that match the message (full-text search).
	Recalled []string
	// Foods are nutrition facts of foods named in the message.
	Foods []string
}

// Turn is one message of a conversation.
type Turn struct {
	Role    string `json:"role"` // "system", "user" or "assistant"
	Content string `json:"content"`
}

// Provider answers a prompt.
type Provider interface {
	// Complete returns the assistant's reply.
	Complete(ctx context.Context, p Prompt) (string, error)
	// Name is "sim" or "openai".
	Name() string
}

// Provider names.
const (
	ProviderSim    = "sim"
	ProviderOpenAI = "openai"
)

// Defaults of Config.
const (
	// DefaultSimMedian and DefaultSimP95 shape the sim's log-normal latency so
	// that, with the target's own work added, chat P95 sits near the 2–3 s of
	// the Phase 6 plan.
	DefaultSimMedian   = 1200 * time.Millisecond
	DefaultSimP95      = 2400 * time.Millisecond
	DefaultOpenAIModel = "gpt-4o-mini"
	DefaultTimeout     = 30 * time.Second
)

// Config selects and configures the provider. Zero values mean the defaults.
type Config struct {
	// Provider is ProviderSim (default) or ProviderOpenAI.
	Provider string
	// SimMedian and SimP95 are the median and 95th percentile of the sim's
	// log-normal latency (defaults DefaultSimMedian, DefaultSimP95).
	SimMedian, SimP95 time.Duration
	// SimNoDelay makes the sim answer at once (tests).
	SimNoDelay bool
	// BaseURL of the OpenAI-compatible API, e.g. http://127.0.0.1:11434/v1
	// (required for openai).
	BaseURL string
	// Model name sent to the API (default DefaultOpenAIModel).
	Model string
	// APIKey is sent as a bearer token when set; it is never logged.
	APIKey string
	// Timeout bounds one completion (default DefaultTimeout).
	Timeout time.Duration
}

// New returns the configured provider; client is used by openai (nil means
// a client with the configured timeout).
func New(cfg Config, client *http.Client) (Provider, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch cfg.Provider {
	case "", ProviderSim:
		return NewSim(cfg)
	case ProviderOpenAI:
		if client == nil {
			client = &http.Client{Timeout: cfg.Timeout}
		}
		return NewOpenAI(cfg, client)
	default:
		return nil, fmt.Errorf("llm provider %q: want %q or %q", cfg.Provider, ProviderSim, ProviderOpenAI)
	}
}
