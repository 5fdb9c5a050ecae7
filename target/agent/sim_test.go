package agent_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/target/agent"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"words keep the space after them", "Good question. Eat", []string{"Good ", "question. ", "Eat"}},
		{"runs of white space stay with the word before", "a  b\n\tc ", []string{"a  ", "b\n\t", "c "}},
		{"white space before the first word goes with it", "  hi there", []string{"  hi ", "there"}},
		{"punctuation is part of the word", "salmon: 208 kcal, 20.0 g", []string{"salmon: ", "208 ", "kcal, ", "20.0 ", "g"}},
		{"non-ASCII words and spaces", "café\u00a0crème brûlée", []string{"café\u00a0", "crème ", "brûlée"}},
		{"no word, no token", " \n ", []string{}},
		{"empty", "", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := agent.Tokens(tc.text)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Tokens(%q) = %q, want %q", tc.text, got, tc.want)
			}
			if n := agent.CountTokens(tc.text); n != len(tc.want) {
				t.Fatalf("CountTokens(%q) = %d, want %d", tc.text, n, len(tc.want))
			}
			if len(got) > 0 && strings.Join(got, "") != tc.text {
				t.Fatalf("tokens %q do not join to %q", got, tc.text)
			}
		})
	}
}

// collect streams p from s and returns the chunks.
func collect(t *testing.T, s agent.Provider, p agent.Prompt) ([]agent.Chunk, agent.Reply) {
	t.Helper()
	var chunks []agent.Chunk
	r, err := s.Stream(context.Background(), p, func(c agent.Chunk) error {
		chunks = append(chunks, c)
		return nil
	})
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	return chunks, r
}

// TestSimStreamIsTheReplyTokenByToken: the streamed chunks are the tokens
// of the reply Complete gives, one a chunk when nothing waits, and the usage
// counts them.
func TestSimStreamIsTheReplyTokenByToken(t *testing.T) {
	t.Parallel()
	s, err := agent.NewSim(agent.Config{SimNoDelay: true})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := s.Complete(context.Background(), prompt)
	if err != nil {
		t.Fatal(err)
	}
	chunks, r := collect(t, s, prompt)
	toks := agent.Tokens(agent.Compose(prompt))
	if len(chunks) != len(toks) || len(toks) < 10 {
		t.Fatalf("%d chunks for %d tokens", len(chunks), len(toks))
	}
	var b strings.Builder
	for i, c := range chunks {
		if c.Tokens != 1 || c.Text != toks[i] {
			t.Fatalf("chunk %d = %+v, want token %q", i, c, toks[i])
		}
		b.WriteString(c.Text)
	}
	if r != whole || b.String() != whole.Text || whole.Text != agent.Compose(prompt) {
		t.Fatalf("stream %q / %+v, complete %+v", b.String(), r, whole)
	}
	want := agent.Usage{PromptTokens: agent.PromptTokens(prompt), CompletionTokens: len(toks)}
	want.TotalTokens = want.PromptTokens + want.CompletionTokens
	if r.Usage != want || r.FinishReason != agent.FinishStop || want.PromptTokens < 20 {
		t.Fatalf("usage %+v finish %q, want %+v stop", r.Usage, r.FinishReason, want)
	}
}

// TestSimMaxTokensCutsTheReply: the reply stops after MaxTokens tokens,
// without the space after the last, and says so.
func TestSimMaxTokensCutsTheReply(t *testing.T) {
	t.Parallel()
	s, _ := agent.NewSim(agent.Config{SimNoDelay: true})
	p := prompt
	p.MaxTokens = 3
	toks := agent.Tokens(agent.Compose(p))
	want := strings.TrimSpace(strings.Join(toks[:3], ""))
	chunks, r := collect(t, s, p)
	whole, _ := s.Complete(context.Background(), p)
	if len(chunks) != 3 || r.Text != want || whole.Text != want || r.FinishReason != agent.FinishLength ||
		whole.FinishReason != agent.FinishLength || r.Usage.CompletionTokens != 3 {
		t.Fatalf("chunks %+v, reply %+v, whole %+v; want %q cut for length", chunks, r, whole, want)
	}
	p.MaxTokens = len(toks)
	if _, r := collect(t, s, p); r.FinishReason != agent.FinishStop || r.Text != agent.Compose(p) {
		t.Fatalf("max_tokens = reply length: %+v", r)
	}
}

// quantiles returns the median and the 95th percentile of ds.
func quantiles(ds []time.Duration) (med, p95 time.Duration) {
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)*95/100]
}

// within reports whether got is within frac of want.
func within(got, want time.Duration, frac float64) bool {
	return float64(got) >= float64(want)*(1-frac) && float64(got) <= float64(want)*(1+frac)
}

// TestSimWholeReplyKeepsItsLatency is the calibration: a reply of
// SimRefTokens tokens takes, from the first token's wait and its gaps, the
// whole-reply latency the sim had before it streamed (median SimMedian, P95
// SimP95), with the defaults and with other values of those two knobs.
func TestSimWholeReplyKeepsItsLatency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		cfg      agent.Config
		med, p95 time.Duration
	}{
		{"defaults", agent.Config{}, agent.DefaultSimMedian, agent.DefaultSimP95},
		{"fast", agent.Config{SimMedian: 100 * time.Millisecond, SimP95: 300 * time.Millisecond}, 100 * time.Millisecond, 300 * time.Millisecond},
		{"narrow", agent.Config{SimMedian: time.Second, SimP95: 1200 * time.Millisecond}, time.Second, 1200 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.SimSeed = 7
			s, err := agent.NewSim(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			ds := make([]time.Duration, 20000)
			for i := range ds {
				ds[i] = s.Draw(agent.SimRefTokens).Total()
			}
			med, p95 := quantiles(ds)
			if !within(med, tc.med, 0.05) || !within(p95, tc.p95, 0.08) {
				t.Fatalf("whole reply: median %v, p95 %v; want about %v and %v", med, p95, tc.med, tc.p95)
			}
		})
	}
}

// TestSimDrawsFollowTheKnobs: set explicitly, the time to first token and
// the gaps have the medians and 95th percentiles asked for.
func TestSimDrawsFollowTheKnobs(t *testing.T) {
	t.Parallel()
	s, err := agent.NewSim(agent.Config{SimSeed: 3,
		SimTTFTMedian: 200 * time.Millisecond, SimTTFTP95: 600 * time.Millisecond,
		SimITLMedian: 20 * time.Millisecond, SimITLP95: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var ttft, gaps []time.Duration
	for range 5000 {
		d := s.Draw(5)
		if len(d.Gaps) != 4 {
			t.Fatalf("%d gaps for 5 tokens", len(d.Gaps))
		}
		ttft = append(ttft, d.TTFT)
		gaps = append(gaps, d.Gaps...)
	}
	if med, p95 := quantiles(ttft); !within(med, 200*time.Millisecond, 0.05) || !within(p95, 600*time.Millisecond, 0.08) {
		t.Errorf("time to first token: median %v, p95 %v; want 200ms, 600ms", med, p95)
	}
	if med, p95 := quantiles(gaps); !within(med, 20*time.Millisecond, 0.05) || !within(p95, 50*time.Millisecond, 0.08) {
		t.Errorf("gaps: median %v, p95 %v; want 20ms, 50ms", med, p95)
	}
	if d := s.Draw(1); len(d.Gaps) != 0 || d.TTFT <= 0 {
		t.Errorf("one token: %+v", d)
	}
}

// TestSimSeedRepeatsTheDraws: two sims of the same seed draw the same
// timings; another seed draws others.
func TestSimSeedRepeatsTheDraws(t *testing.T) {
	t.Parallel()
	a, _ := agent.NewSim(agent.Config{SimSeed: 42})
	b, _ := agent.NewSim(agent.Config{SimSeed: 42})
	c, _ := agent.NewSim(agent.Config{SimSeed: 43})
	for range 3 {
		da, db, dc := a.Draw(10), b.Draw(10), c.Draw(10)
		if da.TTFT != db.TTFT || !slices.Equal(da.Gaps, db.Gaps) {
			t.Fatalf("same seed, different draws: %+v / %+v", da, db)
		}
		if da.TTFT == dc.TTFT {
			t.Fatalf("seeds 42 and 43 drew the same first token time %v", da.TTFT)
		}
	}
}

func TestSimConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  agent.Config
		want string
	}{
		{"first token p95 below its median", agent.Config{SimTTFTMedian: time.Second, SimTTFTP95: time.Millisecond}, "time to first token: p95"},
		{"gap p95 below its median", agent.Config{SimITLMedian: time.Second, SimITLP95: time.Millisecond}, "gap between tokens: p95"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := agent.NewSim(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// TestSimStreamKeepsItsSchedule: with a fixed seed, each token arrives no
// earlier than the timing drawn for it says (the upper bound is loose: the
// machine is shared). A slow reader gets the tokens due meanwhile in one
// chunk, so the stream still ends on time.
func TestSimStreamKeepsItsSchedule(t *testing.T) {
	t.Parallel()
	cfg := agent.Config{SimSeed: 11, SimTTFTMedian: 30 * time.Millisecond, SimTTFTP95: 60 * time.Millisecond,
		SimITLMedian: 5 * time.Millisecond, SimITLP95: 10 * time.Millisecond}
	s, _ := agent.NewSim(cfg)
	twin, _ := agent.NewSim(cfg)
	n := agent.CountTokens(agent.Compose(prompt))
	timing := twin.Draw(n)
	due := make([]time.Duration, n)
	due[0] = timing.TTFT
	for i, g := range timing.Gaps {
		due[i+1] = due[i] + g
	}
	start := time.Now()
	var got []time.Duration // when each token arrived
	stalled, afterStall := false, 0
	_, err := s.Stream(context.Background(), prompt, func(c agent.Chunk) error {
		at := time.Since(start)
		for range c.Tokens {
			got = append(got, at)
		}
		if stalled && afterStall == 0 {
			afterStall = c.Tokens
		}
		if !stalled && len(got) >= 3 {
			// A reader that stops for ten gaps' worth.
			stalled = true
			time.Sleep(10 * cfg.SimITLP95)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d tokens arrived, want %d", len(got), n)
	}
	for i := range got {
		if got[i] < due[i] {
			t.Fatalf("token %d arrived at %v, before it was due at %v", i, got[i], due[i])
		}
	}
	if got[n-1] > due[n-1]+2*time.Second {
		t.Errorf("last token at %v, due at %v", got[n-1], due[n-1])
	}
	if afterStall < 2 {
		// Ten gaps' worth of tokens fell due during the stall.
		t.Errorf("the chunk after the stall held %d tokens, want several", afterStall)
	}
}

// TestSimStreamStops: a cancelled context or a failing emit ends the stream
// with that error, without sending the rest.
func TestSimStreamStops(t *testing.T) {
	t.Parallel()
	s, _ := agent.NewSim(agent.Config{SimTTFTMedian: time.Millisecond, SimTTFTP95: time.Millisecond,
		SimITLMedian: time.Hour, SimITLP95: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	sent := 0
	_, err := s.Stream(ctx, prompt, func(agent.Chunk) error {
		sent++
		cancel() // the client goes away after the first token
		return nil
	})
	if !errors.Is(err, context.Canceled) || sent != 1 {
		t.Fatalf("cancelled: %d chunks, err %v", sent, err)
	}
	gone := errors.New("client gone")
	fast, _ := agent.NewSim(agent.Config{SimNoDelay: true})
	sent = 0
	_, err = fast.Stream(context.Background(), prompt, func(agent.Chunk) error {
		sent++
		return gone
	})
	if !errors.Is(err, gone) || sent != 1 {
		t.Fatalf("emit failed: %d chunks, err %v", sent, err)
	}
}
