package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestInterruptPlansNothingAfterIt: a run interrupted part-way planned the
// requests due before the interrupt, not those due after it. Before, the
// generator's plan ran to when the attack had wound down, on the run's
// origin rather than the schedule's own clock, so an interrupted run at a
// low rate always showed one planned request unsent: "it sent 17 of 18
// planned requests (5.6 % short)", an unsent error and an inconclusive
// verdict blaming the generator, for a run that sent all it was asked to.
func TestInterruptPlansNothingAfterIt(t *testing.T) {
	for _, tc := range []struct{ name, mix string }{
		{"plain", "requests: [{name: a, path: /}]\n"},
		{"flows", "flows: [{name: f, steps: [{name: a, path: /}]}]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for round := range 3 {
				ctx, cancel := context.WithCancel(context.Background())
				var n atomic.Int64
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/health" && n.Add(1) == 12 {
						cancel()
					}
				}))
				sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 30s, rate: 20/s}]\n"+tc.mix)
				run, _, err := runWritten(ctx, sc, WithResultsRoot(t.TempDir()))
				cancel()
				srv.Close()
				if err != nil {
					t.Fatal(err)
				}
				g := run.Generator
				if g == nil || g.Planned < 12 || g.Sent != g.Planned || run.Overall.Unsent != 0 {
					t.Fatalf("round %d: generator %+v, %d unsent: the plan ran past the interrupt", round, g, run.Overall.Unsent)
				}
				if w := g.Shortfall(); w != "" {
					t.Fatalf("round %d: %s", round, w)
				}
			}
		})
	}
}
