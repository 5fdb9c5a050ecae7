package gate

import (
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// TestStreamMetrics: the stream metrics parse with their units, run-wide or
// for one endpoint, and read run.json's stream block; an absent figure is
// unknown, with why.
func TestStreamMetrics(t *testing.T) {
	t.Parallel()
	good := 0.95
	chat := record.Stats{Requests: 10, Successes: 9, Stream: &record.Stream{Requests: 10, OK: 9, OutputTokens: 500, TokensPerS: 50, Good: 9, Goodput: &good,
		TTFTUS: &record.Latency{P95: 800e3, P50: 400e3}, TPOTUS: &record.Latency{P50: 20e3}, ITLUS: &record.Latency{P99: 90e3},
		E2EUS: &record.Latency{Mean: 2e6}, OutputTokensPerRequest: &record.Latency{P50: 48}}}
	run := &record.Run{Overall: chat, Endpoints: map[string]record.Stats{"chat": chat, "plain": {Requests: 5, Successes: 5}}}
	cases := []struct {
		expr, endpoint, metric, unit, verdict string
	}{
		{"ttft.p95 < 1s", "", "ttft.p95", "us", record.VerdictPass},
		{"chat.ttft.p95 < 500ms", "chat", "ttft.p95", "us", record.VerdictFail},
		{"chat.tpot.p50 <= 20ms", "chat", "tpot.p50", "us", record.VerdictPass},
		{"itl.p99 < 100ms", "", "itl.p99", "us", record.VerdictPass},
		{"e2e.mean < 3s", "", "e2e.mean", "us", record.VerdictPass},
		{"output_tokens.p50 >= 40", "", "output_tokens.p50", "count", record.VerdictPass},
		{"tokens_per_s > 100/s", "", "tokens_per_s", "rps", record.VerdictFail},
		{"chat.tokens_per_s >= 50", "chat", "tokens_per_s", "rps", record.VerdictPass},
		{"goodput >= 90%", "", "goodput", "ratio", record.VerdictPass},
		{"chat.ttft_service.p95 < 1s", "chat", "ttft_service.p95", "us", record.VerdictUnknown},
		{"plain.ttft.p95 < 1s", "plain", "ttft.p95", "us", record.VerdictUnknown},
	}
	for _, c := range cases {
		g, err := Parse(c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if g.Endpoint != c.endpoint || g.Metric != c.metric || g.Unit != c.unit || !g.IsStream() {
			t.Errorf("%s: endpoint %q metric %q unit %q stream %v", c.expr, g.Endpoint, g.Metric, g.Unit, g.IsStream())
		}
		if r := g.Evaluate(Input{Run: run}); r.Verdict != c.verdict {
			t.Errorf("%s: %s (%s), want %s", c.expr, r.Verdict, r.Message, c.verdict)
		}
	}
	r := MustParse("plain.ttft.p95 < 1s").Evaluate(Input{Run: run})
	if !strings.Contains(r.Message, "no streamed request was measured") {
		t.Errorf("unknown without why: %s", r.Message)
	}
	if _, err := Parse("goodput > 120%"); err == nil {
		t.Error("goodput above 100% accepted")
	}
}

// TestStreamScope: a stream metric is refused before the run where it
// could only be unknown.
func TestStreamScope(t *testing.T) {
	t.Parallel()
	s := Scope{Endpoints: []string{"chat", "plain"}, Streams: []string{"chat"}}
	for expr, want := range map[string]string{
		"ttft.p95 < 1s":       "",
		"chat.itl.p99 < 1s":   "",
		"plain.ttft.p95 < 1s": "plain does not stream",
		"goodput > 90%":       "no slo",
	} {
		err := MustParse(expr).Check(s)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", expr, err, want)
		}
	}
	if err := MustParse("tokens_per_s > 1").Check(Scope{}); err == nil || !strings.Contains(err.Error(), "streams") {
		t.Errorf("tokens_per_s without streams: %v", err)
	}
	s.SLO = true
	if err := MustParse("goodput > 90%").Check(s); err != nil {
		t.Errorf("goodput with an slo: %v", err)
	}
}
