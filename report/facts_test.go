package report

import (
	"testing"

	"github.com/loadgate/loadgate/record"
)

func TestServerTimingFact(t *testing.T) {
	t.Parallel()
	if got := serverTimingFact(nil); got != "" {
		t.Errorf("no Server-Timing: %q, want nothing", got)
	}
	st := map[string]record.Timing{"llm": {MeanMS: 1900, Count: 120}, "db": {MeanMS: 4.25, Count: 120}}
	want := "db 4.25 ms · llm 1.9 s (mean per response that sent it: db 120, llm 120)"
	if got := serverTimingFact(st); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	facts := serverFacts(&record.Run{Server: record.Server{ServerTiming: st}}, false)
	if len(facts) != 1 || facts[0].Name != "Server-Timing split" {
		t.Errorf("server facts %+v, want the Server-Timing split", facts)
	}
}

// TestSeriesFacts: the facts list each named series of the run in its
// unit, in the scenario's order, a series that could not be measured with
// why; the harness's memory last, and only when measured. The headline
// series are what a page's key figures read.
func TestSeriesFacts(t *testing.T) {
	t.Parallel()
	series, _ := record.OldSeries()
	run := &record.Run{
		Plan: record.Plan{Series: append(record.HarnessSeries(), series...)},
		Server: record.Server{
			Series:      map[string]float64{"cache_hit_rate": 0.8312, "db_p95": 0.0042, "db_pool_wait": 1.5, "goroutines": 41, record.HarnessRSS: 50 << 20},
			SeriesNotes: map[string]string{"db_p50": "the histogram counted no observations during the measured window"},
		},
	}
	got := map[string]string{}
	var order []string
	for _, f := range serverFacts(run, false) {
		got[f.Name] = f.Value
		order = append(order, f.Name)
	}
	for name, want := range map[string]string{
		"cache hit rate": "83.12 %", "DB query P95": "4.2 ms", "DB pool wait": "1.5 s", "goroutines": "41",
		"DB query P50": "not measured: the histogram counted no observations during the measured window",
		"DB queries":   "not measured", "target memory": "50 MiB peak RSS",
	} {
		if got[name] != want {
			t.Errorf("%s: %q, want %q", name, got[name], want)
		}
	}
	if order[0] != "cache hit rate" || order[len(order)-1] != "target memory" {
		t.Errorf("facts in order %q", order)
	}
	// Only the headline series measured, for summary.md.
	short := serverFacts(run, true)
	if len(short) != 3 || short[0].Name != "cache hit rate" || short[1].Name != "DB query P95" || short[2].Name != "target memory" {
		t.Errorf("headline facts %+v", short)
	}
	// No memory measured: no memory fact.
	delete(run.Server.Series, record.HarnessRSS)
	for _, f := range serverFacts(run, false) {
		if f.Name == "target memory" {
			t.Errorf("a memory fact without a value: %+v", f)
		}
	}
	hs := headlineSeries(run)
	if len(hs) != 2 || hs[0].Name != "cache_hit_rate" || hs[0].Value != "83.12 %" || !hs[0].Measured || hs[1].Title != "DB query P95" {
		t.Errorf("headline series %+v", hs)
	}
	delete(run.Server.Series, "db_p95")
	run.Server.SeriesNotes["db_p95"] = "why"
	if hs := headlineSeries(run); hs[1].Value != "—" || hs[1].Measured || hs[1].Why != "why" {
		t.Errorf("an unmeasured headline series %+v", hs[1])
	}
}

// TestEndpointVerdictsReadSeriesGates: a gate on a named series is
// run-wide, so its verdict colours the whole run's row ("").
func TestEndpointVerdictsReadSeriesGates(t *testing.T) {
	t.Parallel()
	series, _ := record.OldSeries()
	gates := []record.Gate{
		{Expr: "p95 < 3s", Verdict: record.VerdictPass},
		{Expr: "search.p99 < 1s", Verdict: record.VerdictPass},
		{Expr: "cache_hit_rate > 60%", Verdict: record.VerdictFail},
	}
	if got := endpointVerdicts(gates, series); got[""] != record.VerdictFail || got["search"] != record.VerdictPass {
		t.Errorf("verdicts %v, want the whole run failed by the cache hit rate", got)
	}
}
