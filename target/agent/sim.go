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
)

// Sim is the simulated model: it waits a log-normal time and composes a
// reply from the prompt alone, so the same prompt always gets the same reply.
type Sim struct {
	mu    float64 // log of the median, in seconds
	sigma float64
	delay bool

	rmu sync.Mutex // guards rng
	rng *rand.Rand
}

var _ Provider = (*Sim)(nil)

// NewSim returns the sim provider of cfg.
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
	return &Sim{
		mu:    math.Log(med.Seconds()),
		sigma: math.Log(p95.Seconds()/med.Seconds()) / 1.6448536269514722, // z of the 95th percentile
		delay: !cfg.SimNoDelay,
		rng:   rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x5eed)),
	}, nil
}

// Name is "sim".
func (s *Sim) Name() string { return ProviderSim }

// Latency draws one latency from the distribution.
func (s *Sim) Latency() time.Duration {
	s.rmu.Lock()
	z := s.rng.NormFloat64()
	s.rmu.Unlock()
	return time.Duration(math.Exp(s.mu+s.sigma*z) * float64(time.Second))
}

// Complete waits the drawn latency (or until ctx is done) and replies.
func (s *Sim) Complete(ctx context.Context, p Prompt) (string, error) {
	if s.delay {
		t := time.NewTimer(s.Latency())
		defer t.Stop()
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("sim completion: %w", ctx.Err())
		case <-t.C:
		}
	}
	return Compose(p), nil
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
