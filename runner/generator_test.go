package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// TestRunRecordsGenerator: an open-model run records how well the
// generator kept its plan, and its rates by one definition: achieved is
// completed per second, sent sent per second, target planned per second.
func TestRunRecordsGenerator(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 2s, rate: 20/s}]\nrequests: [{name: a, path: /}]\n")
	run, _, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	g := run.Generator
	if g == nil {
		t.Fatal("run.json has no generator record")
	}
	if g.Planned < 35 || g.Planned > 41 || g.Sent != g.Planned || g.Completed != g.Sent {
		t.Errorf("generator %+v: want about 40 planned, all sent and completed", *g)
	}
	// Both per second of the same measured window: equal counts, equal rates.
	if r := run.Overall.Rate; r.Sent != r.Achieved || r.Achieved < 15 || r.Achieved > 25 {
		t.Errorf("rates %+v: want sent = achieved (all %d completed), about 20/s", r, g.Completed)
	}
}

// TestSaturationWarningsInProportion: the generator's warning fires only
// when its lateness distorts the result, says the figures, and claims no
// shortfall when every planned request was sent.
func TestSaturationWarningsInProportion(t *testing.T) {
	t.Parallel()
	sc := &scenarios.Scenario{}
	sc.Load.MaxWorkers = 100
	okP50 := record.Stats{ServiceTimeOKUS: &record.Latency{P50: 2000}, Successes: 1, Requests: 1}
	// Kept: a few requests late, lag P99 3 ms.
	kept := &record.Generator{Planned: 3000, Sent: 3000, Completed: 3000, Late: 20, SendLag: record.Latency{P99: 3000, Max: 40_000}}
	if w := saturationWarnings(sc, kept, okP50, 10); len(w) != 0 {
		t.Errorf("a generator that kept its plan warned: %q", w)
	}
	// Late by 200 ms at P99 against a 2 ms P50, every request sent.
	late := &record.Generator{Planned: 3000, Sent: 3000, Completed: 3000, Late: 400, SendLag: record.Latency{P99: 200_000}}
	w := saturationWarnings(sc, late, okP50, 10)
	if len(w) != 1 || !strings.Contains(w[0], "could not keep the plan") || !strings.Contains(w[0], "200ms") || !strings.Contains(w[0], "2ms") {
		t.Fatalf("warnings %q: want the lag and the P50 named", w)
	}
	if strings.Contains(w[0], "short") || strings.Contains(w[0], "fell short") {
		t.Errorf("warning %q claims a shortfall though every planned request was sent", w[0])
	}
	// A fifth unsent, at the worker cap.
	short := &record.Generator{Planned: 1000, Sent: 800, Completed: 700}
	w = saturationWarnings(sc, short, okP50, 100)
	if len(w) != 1 || !strings.Contains(w[0], "sent 800 of 1000 planned") || !strings.Contains(w[0], "max_workers cap of 100") {
		t.Errorf("warnings %q: want the shortfall and the worker cap", w)
	}
}
