package target

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/loadgate/loadgate/target/agent"
	"github.com/loadgate/loadgate/target/store"
	"golang.org/x/sync/errgroup"
)

// Chat context sizes and reward.
const (
	chatHistory  = 6
	chatRecalled = 3
	chatMaxFoods = 3
	chatXP       = 10
	maxMessage   = 4000
)

type chatRequest struct {
	UserID  int64  `json:"user_id"`
	Message string `json:"message"`
	// Stream asks for the reply as Server-Sent Events (streamReply); so
	// does a request that accepts text/event-stream.
	Stream bool `json:"stream"`
}

// ChatResponse is the body of POST /api/v1/chat.
type ChatResponse struct {
	Reply          string `json:"reply"`
	UserMessageID  int64  `json:"user_message_id"`
	ReplyMessageID int64  `json:"reply_message_id"`
	XPAwarded      int    `json:"xp_awarded"`
	XPTotal        int64  `json:"xp_total"`
	Cached         bool   `json:"cached_reply"`
}

// timing splits a request's time for the Server-Timing header.
type timing struct{ db, cache, llm time.Duration }

func (t timing) header() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
	return "db;dur=" + ms(t.db) + ", cache;dur=" + ms(t.cache) + ", llm;dur=" + ms(t.llm)
}

// POST /api/v1/chat {user_id, message, stream?}: memory (cached), the last
// messages, memory search hits and nutrition facts for foods named in the
// message go to the LLM; both messages and the XP award are stored in one
// statement. With stream (or Accept: text/event-stream) the reply comes as
// Server-Sent Events (streamReply); else whole, through the response cache.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	var req chatRequest
	if aerr := decodeJSON(w, r, &req); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	if req.UserID <= 0 {
		writeAPIError(w, badRequest("user_id", "user_id: want a positive integer"))
		return
	}
	req.Message = strings.TrimSpace(req.Message)
	if aerr := checkText("message", req.Message, 1, maxMessage); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	ctx := r.Context()
	prompt, t, err := s.prompt(ctx, req.UserID, req.Message)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Stream || acceptsEventStream(r) {
		s.streamReply(w, r, streamed{route: "chat", arrived: arrived, userID: req.UserID, prompt: prompt,
			timing: t, model: s.modelName(), usage: usageInFinish, ids: true})
		return
	}

	start := time.Now()
	reply, cached, llmCacheTime, err := s.complete(ctx, prompt)
	t.llm = time.Since(start) - llmCacheTime
	t.cache += llmCacheTime
	if err != nil && ctx.Err() != nil {
		w.WriteHeader(499) // the client went away while the LLM was thinking
		return
	}
	if err != nil {
		s.llmFailed(w, err)
		return
	}

	start = time.Now()
	ex, err := s.store.SaveExchange(ctx, req.UserID, req.Message, reply, chatXP, "chat")
	t.db += time.Since(start)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.board.awarded(ctx, req.UserID, ex.XPTotal)
	w.Header().Set("Server-Timing", t.header())
	writeJSON(w, http.StatusOK, ChatResponse{Reply: reply, UserMessageID: ex.Question.ID, ReplyMessageID: ex.Answer.ID,
		XPAwarded: chatXP, XPTotal: ex.XPTotal, Cached: cached})
}

// errLLM is the answer when the language model fails.
var errLLM = &apiError{Status: http.StatusBadGateway, Code: "llm_unavailable", Message: "the language model did not answer"}

// llmFailed logs the model's error and answers 502.
func (s *Server) llmFailed(w http.ResponseWriter, err error) {
	s.cfg.Logger.Error("llm completion failed", "provider", s.llm.Name(), "error", err)
	writeAPIError(w, errLLM)
}

// prompt gathers what the agent knows when it answers userID's message:
// the user's memory (cached; ErrNotFound for an unknown user), then the
// history, the memories matching the message and the foods it names. The
// timing has the cache and database time it took.
func (s *Server) prompt(ctx context.Context, userID int64, message string) (agent.Prompt, timing, error) {
	var t timing
	start := time.Now()
	mem, err := s.loadMemory(ctx, userID)
	t.cache = time.Since(start)
	if err != nil {
		return agent.Prompt{}, t, err
	}
	p := agent.Prompt{Message: message}
	for _, m := range mem.Profile {
		p.Memory = append(p.Memory, "profile: "+m.Content)
	}
	for _, m := range mem.Goals {
		p.Memory = append(p.Memory, "goal: "+m.Content)
	}
	for _, m := range mem.Preferences {
		p.Memory = append(p.Memory, "preference: "+m.Content)
	}
	start = time.Now()
	err = s.gatherContext(ctx, userID, &p)
	t.db = time.Since(start)
	return p, t, err
}

// acceptsEventStream reports whether r's Accept header names
// text/event-stream.
func acceptsEventStream(r *http.Request) bool {
	for _, v := range r.Header["Accept"] {
		for part := range strings.SplitSeq(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			if strings.EqualFold(strings.TrimSpace(mt), "text/event-stream") {
				return true
			}
		}
	}
	return false
}

// gatherContext reads the history, the memories matching the message and the
// foods it names, concurrently; the caller has loaded the user's memory.
func (s *Server) gatherContext(ctx context.Context, userID int64, p *agent.Prompt) error {
	// The user's memory was just loaded, so the user exists: an empty
	// history or search need not check.
	g, gctx := errgroup.WithContext(store.WithUserKnown(ctx, userID))
	g.Go(func() error {
		ms, _, err := s.store.History(gctx, userID, store.Cursor{}, chatHistory)
		for i := len(ms) - 1; i >= 0; i-- {
			p.History = append(p.History, agent.Turn{Role: ms[i].Role, Content: ms[i].Content})
		}
		return err
	})
	var recalled []string
	g.Go(func() error {
		q := orQuery(p.Message)
		if q == "" {
			return nil
		}
		ms, err := s.store.SearchMemories(gctx, userID, q, chatRecalled)
		for _, m := range ms {
			recalled = append(recalled, m.Content)
		}
		return err
	})
	var foods []string
	g.Go(func() error {
		fs, err := s.foodsNamed(gctx, foodWords(p.Message, chatMaxFoods))
		for _, f := range fs {
			foods = append(foods, fmt.Sprintf("%s: %.0f kcal, %.1f g protein, %.1f g carbs, %.1f g fat per 100 g",
				f.Name, f.Kcal, f.ProteinG, f.CarbsG, f.FatG))
		}
		return err
	})
	err := g.Wait()
	p.Recalled, p.Foods = recalled, foods
	return err
}

// foodsNamed is the food each word names (store.FoodsNamed), one cached
// entry per word: chat messages name the same few foods over and over, and
// the foods change only by seeding or import, which moves the dataset
// generation and so the keys. A word that names no food is cached too.
func (s *Server) foodsNamed(ctx context.Context, words []string) ([]store.Food, error) {
	var out []store.Food
	for _, w := range words {
		body, _, err := cachedJSON(ctx, s.namedFoods, "named:"+w, func(ctx context.Context) (*store.Food, error) {
			fs, err := s.store.FoodsNamed(ctx, []string{w})
			if err != nil || len(fs) == 0 {
				return nil, err // none: null
			}
			return &fs[0], nil
		})
		if err != nil {
			return nil, err
		}
		var f *store.Food
		if err := json.Unmarshal(body, &f); err != nil {
			return nil, fmt.Errorf("decoding cached food named %q: %w", w, err)
		}
		if f != nil && !slices.ContainsFunc(out, func(o store.Food) bool { return o.ID == f.ID }) {
			out = append(out, *f)
		}
	}
	return out, nil
}

// complete asks the LLM, through the response cache for repeated prompts.
// It returns the time spent in the cache itself (not in the LLM).
func (s *Server) complete(ctx context.Context, p agent.Prompt) (reply string, cached bool, cacheTime time.Duration, err error) {
	var llmTime time.Duration
	start := time.Now()
	body, hit, err := cachedJSON(ctx, s.llmCache, promptKey(p), func(ctx context.Context) (string, error) {
		ls := time.Now()
		reply, err := s.llm.Complete(ctx, p)
		llmTime = time.Since(ls)
		return reply.Text, err
	})
	total := time.Since(start)
	if err != nil {
		return "", false, 0, err
	}
	if err := json.Unmarshal(body, &reply); err != nil {
		return "", false, 0, fmt.Errorf("decoding cached reply: %w", err)
	}
	return reply, hit, max(0, total-llmTime), nil
}

// promptKey identifies a prompt for the response cache: the normalized
// message with the context that shapes the reply. The history is left out,
// so a repeated question gets the same answer.
func promptKey(p agent.Prompt) string {
	h := sha256.New()
	h.Write([]byte(normalizeQuery(p.Message)))
	for _, part := range [][]string{p.Memory, p.Recalled, p.Foods} {
		h.Write([]byte{0})
		for _, s := range part {
			h.Write([]byte(s))
			h.Write([]byte{1})
		}
	}
	return "reply:" + hex.EncodeToString(h.Sum(nil))
}
