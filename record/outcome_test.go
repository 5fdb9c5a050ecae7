package record

import "testing"

// TestHeadlineCounts: the headline's counts agree with their nouns: one
// gate, several gates.
func TestHeadlineCounts(t *testing.T) {
	t.Parallel()
	pass, fail, unknown := Gate{Verdict: VerdictPass}, Gate{Verdict: VerdictFail}, Gate{Verdict: VerdictUnknown}
	cases := []struct {
		out  Outcome
		want string
	}{
		{Outcome{Verdict: VerdictPass, Gates: []Gate{pass}}, "PASS — 1 gate holds"},
		{Outcome{Verdict: VerdictPass, Gates: []Gate{pass, pass, pass}}, "PASS — all 3 gates hold"},
		{Outcome{Verdict: VerdictFail, Gates: []Gate{fail}}, "FAIL — 1 of 1 gate failed"},
		{Outcome{Verdict: VerdictFail, Gates: []Gate{fail, pass}}, "FAIL — 1 of 2 gates failed"},
		{Outcome{Verdict: VerdictFail, Gates: []Gate{fail, fail}}, "FAIL — 2 of 2 gates failed"},
		{Outcome{Verdict: VerdictUnknown, Gates: []Gate{unknown}}, "UNKNOWN — 1 of 1 gate could not be evaluated"},
		{Outcome{Verdict: VerdictUnknown, Gates: []Gate{unknown, pass}}, "UNKNOWN — 1 of 2 gates could not be evaluated"},
	}
	for _, c := range cases {
		if got := c.out.Headline(); got != c.want {
			t.Errorf("Headline() = %q, want %q", got, c.want)
		}
	}
}
