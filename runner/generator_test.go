package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

// TestGeneratorCountsAddUp: planned, sent, completed and in flight add up,
// and agree with what the target received: every request the generator
// sent came back before the run ended (vegeta waits for its workers), so
// none is in flight at the end; what the plan had due in the measured
// window is sent or unsent; run.json's requests are the completed ones and
// the unsent ones.
func TestGeneratorCountsAddUp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		load string
		hold time.Duration // how long the target takes to answer
		// The plan's figures when they are known exactly (0: not checked).
		planned, warmup int64
	}{
		// The warm-up ends exactly on a request's due time (the 44th, at
		// 1.36 s, which the schedule computes a hair early): it is
		// measured, once, on every side of the count.
		{name: "warm-up on a due time", load: "  warmup: 1360ms\n  stages: [{duration: 1s, rate: 0 -> 50/s}, {duration: 1s, rate: 50/s}]\n", planned: 32, warmup: 43},
		// The target answers one request at a time, slower than the plan:
		// the attack ends at its grace with a request just handed to the
		// worker, which must count as sent.
		{name: "generator behind at the end", load: "  max_workers: 1\n  stages: [{duration: 1s, rate: 20/s}]\n", hold: 150 * time.Millisecond, planned: 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var received atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/health" {
					return
				}
				received.Add(1)
				time.Sleep(c.hold) // the target's speed, not a wait of the test
			}))
			t.Cleanup(srv.Close)
			sc := scenarioFor(t, srv.URL, "load:\n"+c.load+"requests: [{name: a, path: /}]\n")
			run, _, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			g, o := run.Generator, run.Overall
			if g == nil {
				t.Fatal("no generator record")
			}
			if c.planned != 0 && g.Planned != c.planned {
				t.Errorf("planned %d, want %d", g.Planned, c.planned)
			}
			if g.Sent > g.Planned || g.Completed > g.Sent {
				t.Errorf("generator %+v: completed ≤ sent ≤ planned does not hold", *g)
			}
			if g.InFlightAtEnd() != 0 || g.Completed != g.Sent {
				t.Errorf("generator %+v: every sent request came back, want none in flight", *g)
			}
			if got := received.Load() - c.warmup; got != g.Sent {
				t.Errorf("the target received %d measured requests, the generator says it sent %d", got, g.Sent)
			}
			if o.Requests != g.Completed+o.Unsent || g.Planned != g.Sent+o.Unsent {
				t.Errorf("requests %d (unsent %d), generator %+v: requests = completed + unsent and planned = sent + unsent must hold", o.Requests, o.Unsent, *g)
			}
		})
	}
}
