// Package agent holds the chat agent's language model: the Provider
// interface and its two implementations, Sim (the default: a time to first
// token and gaps between tokens drawn from distributions, a deterministic
// reply composed from the context) and OpenAI (any server that speaks the
// OpenAI chat-completions wire format). Both answer whole (Complete) or token
// by token (Stream).
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
	// MaxTokens, when above 0, cuts the reply after that many tokens
	// (FinishLength).
	MaxTokens int
}

// Reply is a provider's answer.
type Reply struct {
	// Text is the assistant's reply.
	Text string
	// FinishReason is FinishStop (the reply ended) or FinishLength (cut at
	// Prompt.MaxTokens).
	FinishReason string
	// Usage counts the tokens of the prompt and of the reply.
	Usage Usage
}

// Finish reasons, as the chat-completions wire format names them.
const (
	FinishStop   = "stop"
	FinishLength = "length"
)

// Usage counts tokens as the provider does: the sim's tokens are words
// (Tokens); openai's are the upstream server's when it reports usage, else
// its content chunks (streamed) or words (whole).
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Chunk is one piece of a streamed reply: one token or several.
type Chunk struct {
	// Text is the tokens' text, in order.
	Text string
	// Tokens is how many tokens Text holds.
	Tokens int
}

// Turn is one message of a conversation.
type Turn struct {
	Role    string `json:"role"` // "system", "user" or "assistant"
	Content string `json:"content"`
}

// Provider answers a prompt.
type Provider interface {
	// Complete returns the assistant's reply once it is whole.
	Complete(ctx context.Context, p Prompt) (Reply, error)
	// Stream calls emit with each piece of the reply as the model produces
	// it, in order, then returns the whole reply. An error of emit (the
	// client went away) stops the stream and is returned, wrapped.
	Stream(ctx context.Context, p Prompt, emit func(Chunk) error) (Reply, error)
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
	// DefaultSimMedian and DefaultSimP95 are the median and P95 of the sim's
	// whole-reply latency for a reply of SimRefTokens tokens, so that, with
	// the target's own work added, chat P95 sits near the 2–3 s of the
	// Phase 6 plan. The time to first token and the gaps are derived from
	// them (see Config) unless set.
	DefaultSimMedian   = 1200 * time.Millisecond
	DefaultSimP95      = 2400 * time.Millisecond
	DefaultOpenAIModel = "gpt-4o-mini"
	DefaultTimeout     = 30 * time.Second
)

// How the sim's defaults for the first token and the gaps are derived from
// its whole-reply latency (Config.SimMedian, Config.SimP95).
const (
	// SimRefTokens is the reply length the whole-reply latency is meant for:
	// the median length of the sim's replies to the built-in scenarios' chat
	// (measured on the seeded data: 49 tokens, from 29 to 63).
	SimRefTokens = 49
	// SimTTFTShare is the share of the median whole-reply latency spent
	// before the first token.
	SimTTFTShare = 0.4
	// SimITLSpread is the P95 of the gap between tokens over its median.
	SimITLSpread = 2.0
)

// Config selects and configures the provider. Zero values mean the defaults.
type Config struct {
	// Provider is ProviderSim (default) or ProviderOpenAI.
	Provider string
	// SimMedian and SimP95 are the median and 95th percentile of the sim's
	// latency for a whole reply of SimRefTokens tokens (defaults
	// DefaultSimMedian, DefaultSimP95). A reply takes the time to first
	// token plus a gap per further token; the defaults of those are derived
	// from these two so that the reference reply takes this long.
	SimMedian, SimP95 time.Duration
	// SimTTFTMedian and SimTTFTP95 shape the log-normal time to the first
	// token (defaults SimTTFTShare × SimMedian, and SimP95 − (1 −
	// SimTTFTShare) × SimMedian: the gaps add an almost constant time, so
	// the whole reply's P95 stays SimP95).
	SimTTFTMedian, SimTTFTP95 time.Duration
	// SimITLMedian and SimITLP95 shape the log-normal gap between two
	// tokens (defaults: the median such that SimRefTokens − 1 mean gaps
	// take (1 − SimTTFTShare) × SimMedian, and SimITLSpread × the median).
	SimITLMedian, SimITLP95 time.Duration
	// SimSeed seeds the sim's draws; 0 means a seed from the clock. With a
	// fixed seed the sequence of draws repeats (one Draw per completion).
	SimSeed uint64
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
