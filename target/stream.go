package target

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/loadgate/loadgate/target/agent"
	"github.com/loadgate/loadgate/target/store"
)

// A streamed reply is Server-Sent Events in the OpenAI chat-completions
// chunk format, as OpenAI, vLLM, llama.cpp and Ollama send them:
//
//	data: {"id":"chatcmpl-…","object":"chat.completion.chunk","created":…,"model":…,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}
//	data: {…,"choices":[{"index":0,"delta":{"content":"Good "},"logprobs":null,"finish_reason":null}]}
//	…
//	data: {…,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":{…}}
//	data: [DONE]
//
// The headers and the role chunk leave with the first content chunk, so
// that a failure before it is still a plain HTTP error (502, 503). The
// exchange is stored after the last content chunk and before the finish
// chunk: a client that read the finish chunk or [DONE] has its message
// stored; one that went away before has nothing stored (the two messages
// and the XP award are one statement). A failure after the first chunk is
// an error event, {"error":{"code","message"}}, and no [DONE].

// usagePlacement is where a stream's usage goes.
type usagePlacement int

const (
	// usageNone: no usage (chat completions without include_usage).
	usageNone usagePlacement = iota
	// usageInFinish: in the finish chunk (POST /api/v1/chat).
	usageInFinish
	// usageOwnChunk: in a chunk of its own with empty choices, before
	// [DONE] (stream_options.include_usage, as OpenAI does).
	usageOwnChunk
)

// streamed is one reply to stream.
type streamed struct {
	route   string    // the metrics' route label
	arrived time.Time // when the handler began (the key checked)
	userID  int64
	prompt  agent.Prompt
	timing  timing // of the work before the model
	model   string
	usage   usagePlacement
	// ids adds the stored messages' ids and the XP to the finish chunk, as
	// "chat" (POST /api/v1/chat answers them whole too).
	ids bool
}

// completionChunk is a chat.completion.chunk event.
type completionChunk struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []chunkChoice `json:"choices"`
	Usage   *agent.Usage  `json:"usage,omitempty"`
	Chat    *streamResult `json:"chat,omitempty"`
}

type chunkChoice struct {
	Index        int        `json:"index"`
	Delta        chunkDelta `json:"delta"`
	Logprobs     *struct{}  `json:"logprobs"` // always null
	FinishReason *string    `json:"finish_reason"`
}

type chunkDelta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

// streamResult is what POST /api/v1/chat's finish chunk adds: the fields of
// ChatResponse but the reply.
type streamResult struct {
	UserMessageID  int64 `json:"user_message_id"`
	ReplyMessageID int64 `json:"reply_message_id"`
	XPAwarded      int   `json:"xp_awarded"`
	XPTotal        int64 `json:"xp_total"`
}

// completionID is a new "chatcmpl-" id, as OpenAI's look.
func completionID() string {
	var b [12]byte
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	return "chatcmpl-" + hex.EncodeToString(b[:])
}

// sseWriter writes the events of one stream, each flushed, each write
// bounded by the write timeout.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	chunk   completionChunk // the fields every chunk repeats
	started bool            // the headers are written
	err     error           // the first write error: the client is gone
}

var (
	eventStart = []byte("data: ")
	eventEnd   = []byte("\n\n")
	eventDone  = []byte("data: [DONE]\n\n")
)

// write writes raw, unless an earlier write failed, after moving the write
// deadline; a server that cannot set deadlines (a recorder) is written to
// without.
func (sw *sseWriter) write(raw ...[]byte) error {
	if sw.err != nil {
		return sw.err
	}
	if err := sw.rc.SetWriteDeadline(time.Now().Add(sw.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		sw.err = err
		return err
	}
	for _, b := range raw {
		if _, err := sw.w.Write(b); err != nil {
			sw.err = err
			return err
		}
	}
	return nil
}

// event writes one data event holding v.
func (sw *sseWriter) event(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return sw.write(eventStart, b, eventEnd)
}

// flush sends what was written.
func (sw *sseWriter) flush() error {
	if sw.err != nil {
		return sw.err
	}
	if err := sw.rc.Flush(); err != nil {
		sw.err = err
	}
	return sw.err
}

// begin writes the headers and the role chunk (not flushed).
func (sw *sseWriter) begin(serverTiming string) error {
	sw.started = true
	h := sw.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nor buffered by a proxy (nginx)
	h.Set("Server-Timing", serverTiming)
	sw.w.WriteHeader(http.StatusOK)
	empty := ""
	return sw.choice(chunkDelta{Role: "assistant", Content: &empty}, nil)
}

// choice writes a chunk of one choice.
func (sw *sseWriter) choice(d chunkDelta, finish *string) error {
	c := sw.chunk
	c.Choices = []chunkChoice{{Delta: d, FinishReason: finish}}
	return sw.event(c)
}

// streamReply streams the model's reply to st.prompt (the request is
// validated and the context gathered), stores the exchange once the reply
// is whole, and ends the stream.
func (s *Server) streamReply(w http.ResponseWriter, r *http.Request, st streamed) {
	ctx := r.Context()
	m := s.metrics.stream
	tokens, ttft, gap := m.tokens.WithLabelValues(st.route), m.ttft.WithLabelValues(st.route), m.gap.WithLabelValues(st.route)
	sw := &sseWriter{w: w, rc: http.NewResponseController(w), timeout: s.cfg.StreamWriteTimeout,
		chunk: completionChunk{ID: completionID(), Object: "chat.completion.chunk", Created: time.Now().Unix(), Model: st.model}}
	outcome := streamFailed
	defer func() { m.streams.WithLabelValues(st.route, outcome).Inc() }()

	llmStart := time.Now()
	var last time.Time // when the last content chunk was written
	begin := func() error {
		t := st.timing
		t.llm = time.Since(llmStart)
		return sw.begin(t.header())
	}
	emit := func(c agent.Chunk) error {
		if !sw.started {
			if err := begin(); err != nil {
				return err
			}
		}
		text := c.Text
		if err := sw.choice(chunkDelta{Content: &text}, nil); err != nil {
			return err
		}
		if err := sw.flush(); err != nil {
			return err
		}
		now := time.Now()
		if last.IsZero() {
			ttft.Observe(now.Sub(st.arrived).Seconds())
		} else {
			gap.Observe(now.Sub(last).Seconds())
		}
		last = now
		tokens.Add(float64(c.Tokens))
		return nil
	}
	reply, err := s.llm.Stream(ctx, st.prompt, emit)
	switch {
	case sw.err != nil || ctx.Err() != nil:
		outcome = streamDisconnected
		if !sw.started {
			w.WriteHeader(499) // the client went away while the LLM was thinking
		}
		return
	case err != nil && !sw.started:
		s.llmFailed(w, err)
		return
	case err != nil:
		s.cfg.Logger.Error("llm stream failed", "provider", s.llm.Name(), "error", err)
		s.streamError(sw, errLLM)
		return
	case !sw.started:
		// A reply without content: the stream still begins.
		if err := begin(); err != nil {
			outcome = streamDisconnected
			return
		}
	}

	ex, err := s.store.SaveExchange(ctx, st.userID, st.prompt.Message, reply.Text, chatXP, "chat")
	if err != nil {
		if ctx.Err() != nil {
			outcome = streamDisconnected
			return
		}
		s.streamError(sw, s.storeFailed(st.route, err))
		return
	}
	s.board.awarded(ctx, st.userID, ex.XPTotal)

	fin := sw.chunk
	fin.Choices = []chunkChoice{{Delta: chunkDelta{}, FinishReason: &reply.FinishReason}}
	if st.usage == usageInFinish {
		fin.Usage = &reply.Usage
	}
	if st.ids {
		fin.Chat = &streamResult{UserMessageID: ex.Question.ID, ReplyMessageID: ex.Answer.ID, XPAwarded: chatXP, XPTotal: ex.XPTotal}
	}
	// sw's write errors stick: the flush after the last write reports any.
	sw.event(fin)
	if st.usage == usageOwnChunk {
		u := sw.chunk
		u.Choices, u.Usage = []chunkChoice{}, &reply.Usage
		sw.event(u)
	}
	sw.write(eventDone)
	if sw.flush() != nil {
		// Stored, but the client did not hear so: a write the writes
		// check finds without its acknowledgement, which it allows.
		outcome = streamDisconnected
		return
	}
	outcome = streamCompleted
}

// errUnavailable is the answer when the database fails.
var errUnavailable = &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "the service cannot answer right now"}

// storeFailed is the error a stream ends with when storing its exchange
// failed: not found (the user was deleted meanwhile), else unavailable,
// logged.
func (s *Server) storeFailed(route string, err error) *apiError {
	if errors.Is(err, store.ErrNotFound) {
		return notFound("%s", notFoundMessage(err))
	}
	s.cfg.Logger.Error("storing a streamed chat failed", "route", route, "error", err)
	return errUnavailable
}

// streamError ends a begun stream with an error event, and no [DONE].
func (s *Server) streamError(sw *sseWriter, e *apiError) {
	sw.event(struct {
		Error *apiError `json:"error"`
	}{e})
	sw.flush()
}

// modelName is the model a reply names: the sim's, or the openai
// provider's configured model.
func (s *Server) modelName() string {
	if s.llm.Name() == agent.ProviderOpenAI {
		if s.cfg.LLM.Model != "" {
			return s.cfg.LLM.Model
		}
		return agent.DefaultOpenAIModel
	}
	return "loadgate-sim"
}
