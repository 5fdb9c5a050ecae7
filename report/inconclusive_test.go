package report

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// TestInconclusiveVerdict: a run whose generator could not keep its plan,
// so that the gates' verdict may be the generator's doing, reads
// inconclusive (exit 2) with the figures; one whose lateness cannot have
// changed a verdict, or that kept its plan with a few late requests, is
// judged by its gates and says nothing of the generator.
func TestInconclusiveVerdict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		gates    []string // default p95 < 10s
		g        *record.Generator
		verdict  string
		headline string
	}{
		// Every planned request sent, a 2 ms lag P99.
		{"kept", nil, &record.Generator{Planned: 500, Sent: 500, Completed: 500, Late: 3, SendLag: record.Latency{P99: 2000}}, record.VerdictPass, "PASS"},
		// Requests left seconds late, but an upper bound held with the lag
		// inside the latency: it holds without it too.
		{"late, upper bound held", nil, &record.Generator{Planned: 500, Sent: 500, Completed: 500, Late: 300, SendLag: record.Latency{P95: 4e6, P99: 4e6}}, record.VerdictPass, "PASS"},
		// The same lag under an upper bound that failed: without the lag
		// it would hold.
		{"late, upper bound failed", []string{"p95 < 1ms"}, &record.Generator{Planned: 500, Sent: 500, Completed: 500, Late: 300, SendLag: record.Latency{P95: 60e6, P99: 60e6}}, record.VerdictUnknown, "INCONCLUSIVE — the generator could not keep the plan"},
		// A lower bound that held only with the lag inside it.
		{"late, lower bound held", []string{"p50 >= 1ms"}, &record.Generator{Planned: 500, Sent: 500, Completed: 500, Late: 300, SendLag: record.Latency{P50: 60e6, P99: 60e6}}, record.VerdictUnknown, "INCONCLUSIVE"},
		// A third of the plan never sent: the run did not do what it
		// planned, which the verdict's first line says.
		{"short", nil, &record.Generator{Planned: 600, Sent: 400, Completed: 400}, record.VerdictUnknown, "INCONCLUSIVE — it sent 400 of 600 planned requests"},
		// The same shortfall distorts an error-rate verdict too.
		{"short, error rate gate", []string{"error_rate < 1%"}, &record.Generator{Planned: 600, Sent: 400, Completed: 400}, record.VerdictUnknown, "INCONCLUSIVE"},
		// Over 1 % unsent is inconclusive whatever the gates say: a failed
		// gate too (issue 19; before, 2 % passed and a fail stayed a fail).
		{"2 % short", nil, &record.Generator{Planned: 1000, Sent: 980, Completed: 980}, record.VerdictUnknown, "INCONCLUSIVE — it sent 980 of 1000"},
		{"2 % short, a gate failed", []string{"p95 < 1us"}, &record.Generator{Planned: 1000, Sent: 980, Completed: 980}, record.VerdictUnknown, "INCONCLUSIVE — it sent 980 of 1000"},
		// Within 1 %: judged by its gates.
		{"1 % short", nil, &record.Generator{Planned: 1000, Sent: 990, Completed: 990}, record.VerdictPass, "PASS"},
		// A late generator does not distort an error rate: every request
		// was sent, and whether it failed does not depend on when it left.
		{"late, error rate gate", []string{"error_rate < 1%"}, &record.Generator{Planned: 500, Sent: 500, Completed: 500, Late: 300, SendLag: record.Latency{P99: 4e6}}, record.VerdictPass, "PASS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			gates := tt.gates
			if gates == nil {
				gates = []string{"p95 < 10s"}
			}
			run := writeFixture(t, dir, fixture{Seconds: 10, Gates: gates})
			run.Generator = tt.g
			if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
				t.Fatal(err)
			}
			out, err := finish(dir, Options{Assets: AssetsCDN})
			if err != nil {
				t.Fatal(err)
			}
			if out.Verdict != tt.verdict || !strings.HasPrefix(out.Headline(), tt.headline) {
				t.Errorf("verdict %s, %q; want %s, %q", out.Verdict, out.Headline(), tt.verdict, tt.headline)
			}
			page := readFile(t, filepath.Join(dir, record.ReportFile))
			says := strings.Contains(page, "inconclusive: the generator could not keep the plan") || strings.Contains(page, "the run did not do what it planned")
			if says != (tt.verdict != record.VerdictPass) {
				t.Errorf("page says inconclusive: %v, want %v", says, !says)
			}
			if tt.verdict == record.VerdictPass && (strings.Contains(page, "could not keep") || strings.Contains(page, "fell short")) {
				t.Error("the page of a run that kept its plan speaks of the generator")
			}
			if tt.verdict != record.VerdictPass && out.ExitCode() != 2 {
				t.Errorf("exit %d, want 2", out.ExitCode())
			}
		})
	}
}

// TestRateWords: achieved is completed per second, with planned beside it
// and sent where it differs, and what was in flight at the end.
func TestRateWords(t *testing.T) {
	t.Parallel()
	run := &record.Run{Overall: record.Stats{Rate: record.Rate{Target: 50, Achieved: 50, Sent: 50}}}
	if got, want := rateWords(run), "achieved 50/s (completed), planned 50/s"; got != want {
		t.Errorf("rateWords = %q, want %q", got, want)
	}
	run.Overall.Rate = record.Rate{Target: 50, Achieved: 31, Sent: 50}
	run.Generator = &record.Generator{Planned: 1500, Sent: 1500, Completed: 930}
	if got, want := rateWords(run), "achieved 31/s (completed), planned 50/s, sent 50/s; 570 sent requests still in flight at the end"; got != want {
		t.Errorf("rateWords = %q, want %q", got, want)
	}
}
