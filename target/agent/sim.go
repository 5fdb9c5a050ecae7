package agent

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Sim is the simulated model: it composes a reply from the prompt alone, so
// the same prompt always gets the same reply, and sends its tokens (Tokens)
// as a model would: the first after a log-normal time to first token, each
// next one after a log-normal gap. A whole reply (Complete) takes the time
// its stream would have taken.
type Sim struct {
	ttft, itl logNormal
	delay     bool

	rmu sync.Mutex // guards rng
	rng *rand.Rand
}

var _ Provider = (*Sim)(nil)

// z95 is the z-score of the 95th percentile of the normal distribution.
const z95 = 1.6448536269514722

// logNormal is a log-normal distribution of durations.
type logNormal struct {
	mu    float64 // log of the median, in seconds
	sigma float64
}

// newLogNormal is the log-normal distribution with median med and 95th
// percentile p95; what names it in errors.
func newLogNormal(what string, med, p95 time.Duration) (logNormal, error) {
	if med <= 0 {
		return logNormal{}, fmt.Errorf("sim %s: median %v: want more than 0", what, med)
	}
	if p95 < med {
		return logNormal{}, fmt.Errorf("sim %s: p95 %v below median %v", what, p95, med)
	}
	return logNormal{mu: math.Log(med.Seconds()), sigma: math.Log(p95.Seconds()/med.Seconds()) / z95}, nil
}

// at is the duration at standard normal z.
func (l logNormal) at(z float64) time.Duration {
	return time.Duration(math.Exp(l.mu+l.sigma*z) * float64(time.Second))
}

// NewSim returns the sim provider of cfg: the defaults of Config filled in,
// the time to first token and the gaps derived from the whole-reply latency
// where they are not set.
func NewSim(cfg Config) (*Sim, error) {
	med, p95 := cfg.SimMedian, cfg.SimP95
	if med <= 0 {
		med = DefaultSimMedian
	}
	if p95 <= 0 {
		p95 = max(DefaultSimP95, med)
	}
	if p95 < med {
		return nil, fmt.Errorf("sim latency: p95 %v below median %v", p95, med)
	}
	ttftMed, ttftP95 := cfg.SimTTFTMedian, cfg.SimTTFTP95
	if ttftMed <= 0 {
		ttftMed = time.Duration(SimTTFTShare * float64(med))
	}
	if ttftP95 <= 0 {
		ttftP95 = max(ttftMed, p95-time.Duration((1-SimTTFTShare)*float64(med)))
	}
	itlMed, itlP95 := cfg.SimITLMedian, cfg.SimITLP95
	if itlMed <= 0 {
		// The rest of the median reply is SimRefTokens−1 gaps; a
		// log-normal's mean is its median × exp(σ²/2).
		sigma := math.Log(SimITLSpread) / z95
		mean := (1 - SimTTFTShare) * float64(med) / (SimRefTokens - 1)
		itlMed = max(time.Microsecond, time.Duration(mean/math.Exp(sigma*sigma/2)))
	}
	if itlP95 <= 0 {
		itlP95 = time.Duration(SimITLSpread * float64(itlMed))
	}
	ttft, err := newLogNormal("time to first token", ttftMed, ttftP95)
	if err != nil {
		return nil, err
	}
	itl, err := newLogNormal("gap between tokens", itlMed, itlP95)
	if err != nil {
		return nil, err
	}
	seed := cfg.SimSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &Sim{ttft: ttft, itl: itl, delay: !cfg.SimNoDelay, rng: rand.New(rand.NewPCG(seed, 0x5eed))}, nil
}

// Name is "sim".
func (s *Sim) Name() string { return ProviderSim }

// Timing is when the tokens of one reply come: the first TTFT after the
// start, each next one its gap after the one before.
type Timing struct {
	TTFT time.Duration
	// Gaps are the gaps before the second token, the third, …: one fewer
	// than the tokens.
	Gaps []time.Duration
}

// Total is when the last token comes: TTFT and every gap.
func (t Timing) Total() time.Duration {
	d := t.TTFT
	for _, g := range t.Gaps {
		d += g
	}
	return d
}

// Draw draws the timing of a reply of n tokens (n ≥ 1). Each completion
// draws once, in the order completions start; with Config.SimSeed the
// draws repeat.
func (s *Sim) Draw(n int) Timing {
	t := Timing{Gaps: make([]time.Duration, max(0, n-1))}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	t.TTFT = s.ttft.at(s.rng.NormFloat64())
	for i := range t.Gaps {
		t.Gaps[i] = s.itl.at(s.rng.NormFloat64())
	}
	return t
}

// answer is the sim's reply to p, as tokens, cut at p.MaxTokens.
func (s *Sim) answer(p Prompt) ([]string, Reply) {
	toks := Tokens(Compose(p))
	r := Reply{FinishReason: FinishStop}
	if p.MaxTokens > 0 && len(toks) > p.MaxTokens {
		toks = toks[:p.MaxTokens:p.MaxTokens]
		toks[len(toks)-1] = strings.TrimRightFunc(toks[len(toks)-1], unicode.IsSpace)
		r.FinishReason = FinishLength
	}
	r.Text = strings.Join(toks, "")
	r.Usage = Usage{PromptTokens: PromptTokens(p), CompletionTokens: len(toks)}
	r.Usage.TotalTokens = r.Usage.PromptTokens + r.Usage.CompletionTokens
	return toks, r
}

// PromptTokens counts the tokens (Tokens) of the messages p is sent as.
func PromptTokens(p Prompt) int {
	n := 0
	for _, m := range Messages(p) {
		n += CountTokens(m.Content)
	}
	return n
}

// Complete waits as long as the reply's stream would take (or until ctx is
// done) and replies.
func (s *Sim) Complete(ctx context.Context, p Prompt) (Reply, error) {
	toks, r := s.answer(p)
	if s.delay {
		t := time.NewTimer(s.Draw(len(toks)).Total())
		defer t.Stop()
		select {
		case <-ctx.Done():
			return Reply{}, fmt.Errorf("sim completion: %w", ctx.Err())
		case <-t.C:
		}
	}
	return r, nil
}

// Stream sends the reply's tokens when they are due. The times are kept
// from the start, not from the last send: when emit falls behind (a slow
// client), the tokens due by then go out together in one chunk, so the
// reply still ends when its timing says.
func (s *Sim) Stream(ctx context.Context, p Prompt, emit func(Chunk) error) (Reply, error) {
	toks, r := s.answer(p)
	var due []time.Duration // due[i]: when token i is due, from start
	if s.delay {
		t := s.Draw(len(toks))
		due = make([]time.Duration, len(toks))
		d := t.TTFT
		for i := range due {
			if i > 0 {
				d += t.Gaps[i-1]
			}
			due[i] = d
		}
	}
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for i := 0; i < len(toks); {
		j := i + 1
		if s.delay {
			if wait := due[i] - time.Since(start); wait > 0 {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return Reply{}, fmt.Errorf("sim stream: %w", ctx.Err())
				case <-timer.C:
				}
			}
			for now := time.Since(start); j < len(toks) && due[j] <= now; {
				j++
			}
		}
		if err := ctx.Err(); err != nil {
			return Reply{}, fmt.Errorf("sim stream: %w", err)
		}
		if err := emit(Chunk{Text: strings.Join(toks[i:j], ""), Tokens: j - i}); err != nil {
			return Reply{}, fmt.Errorf("sim stream: %w", err)
		}
		i = j
	}
	return r, nil
}

// openers are picked by a hash of the message, so replies vary but stay
// deterministic.
var openers = [...]string{
	"Good question.", "Thanks for checking in.", "Let's look at that.", "Here is what I see.",
}

// Compose builds the sim's reply from the prompt's context. It leaves the
// history out, as the target's response cache does.
func Compose(p Prompt) string {
	h := fnv.New32a()
	h.Write([]byte(p.Message))
	var b strings.Builder
	b.WriteString(openers[h.Sum32()%uint32(len(openers))])
	if len(p.Foods) > 0 {
		b.WriteString(" Nutrition facts: ")
		b.WriteString(strings.Join(p.Foods, "; "))
		b.WriteString(".")
	}
	for _, m := range p.Memory {
		if strings.HasPrefix(m, "goal: ") {
			b.WriteString(" Keeping your goal in mind (")
			b.WriteString(strings.TrimPrefix(m, "goal: "))
			b.WriteString(").")
			break
		}
	}
	if len(p.Recalled) > 0 {
		b.WriteString(" You told me before: ")
		b.WriteString(p.Recalled[0])
		b.WriteString(".")
	}
	return b.String()
}
