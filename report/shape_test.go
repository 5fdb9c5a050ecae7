package report

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

func TestSpikeRecovery(t *testing.T) {
	t.Parallel()
	// Warm-up 2 s; a spike stage from 12 s to 17 s; search stalls by 5 s
	// from 12 s until 21 s, so P95 is back under 3 s at 21 s: recovery 4 s.
	stages := []record.Stage{{StartS: 0, DurationS: 12, From: 20, To: 20}, {StartS: 12, DurationS: 5, From: 100, To: 100}, {StartS: 17, DurationS: 15, From: 20, To: 20}}
	slow := func(s int) float64 {
		if t := 2 + s; t >= 12 && t < 21 {
			return 5e6
		}
		return 0
	}
	dir := filepath.Join(t.TempDir(), "spike")
	writeFixture(t, dir, fixture{Seconds: 30, Seed: 4, Stages: stages, Slow: slow})
	d, err := loadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	exprs := []string{"p95 < 3s", "error_rate < 1%", "recovery_time < 10s", "recovery_time < 3s"}
	gates := judgeGates(d, exprs, nil)
	if gates[2].Value == nil || *gates[2].Value != 4 {
		t.Fatalf("recovery time %+v, want 4 s", gates[2])
	}
	if gates[2].Verdict != record.VerdictPass || gates[3].Verdict != record.VerdictFail {
		t.Errorf("verdicts %s %s, want pass fail", gates[2].Verdict, gates[3].Verdict)
	}

	// A stall that lasts to the end: never recovered, a fail with no value.
	never := filepath.Join(t.TempDir(), "never")
	writeFixture(t, never, fixture{Seconds: 30, Seed: 4, Stages: stages, Slow: func(s int) float64 { return 5e6 }})
	d, err = loadRun(never)
	if err != nil {
		t.Fatal(err)
	}
	g := judgeGates(d, exprs, nil)[2]
	if g.Verdict != record.VerdictFail || g.Value != nil {
		t.Errorf("never recovered: %+v", g)
	}

	// No spike in the plan: unknown, saying why.
	flat := filepath.Join(t.TempDir(), "flat")
	writeFixture(t, flat, fixture{Seconds: 10, Gates: []string{"recovery_time < 10s"}})
	var buf bytes.Buffer
	out, err := Gate(flat, Options{}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode() != 2 || !strings.Contains(out.Gates[0].Message, "no spike") {
		t.Errorf("no spike: exit %d, %q", out.ExitCode(), out.Gates[0].Message)
	}
}

func TestSoakDriftAndMemoryGrowth(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "soak")
	// Search slows by 5 ms a second; RSS grows by 1 MiB a second.
	writeFixture(t, dir, fixture{Seconds: 60, Seed: 5,
		Slow: func(s int) float64 { return float64(s) * 5000 },
		RSS:  func(s int) float64 { return 100<<20 + float64(s)*(1<<20) },
	})
	d, err := loadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	in := gateInput(d, nil)
	drift, ok := in.Extra[gate.MetricP95Drift]
	if !ok || drift < 0.5 {
		t.Errorf("drift %g (%v), want well above 50 %% (%s)", drift, ok, in.Why[gate.MetricP95Drift])
	}
	growth := in.Extra[gate.MetricMemoryGrowth]
	if want := 3600.0 * (1 << 20); math.Abs(growth-want) > 1 {
		t.Errorf("memory growth %g B/h, want %g", growth, want)
	}
	gates := gate.EvaluateInput(in, []string{"p95_drift < 10%", "memory_growth < 100MB/h", "memory_growth < 4GB/h"})
	for i, want := range []string{record.VerdictFail, record.VerdictFail, record.VerdictPass} {
		if gates[i].Verdict != want {
			t.Errorf("%s: %s, want %s (%s)", gates[i].Expr, gates[i].Verdict, want, gates[i].Message)
		}
	}

	// A steady run has no drift beyond noise, and without RSS no growth.
	steady := filepath.Join(t.TempDir(), "steady")
	writeFixture(t, steady, fixture{Seconds: 60, Seed: 5})
	if d, err = loadRun(steady); err != nil {
		t.Fatal(err)
	}
	in = gateInput(d, nil)
	if drift := in.Extra[gate.MetricP95Drift]; math.Abs(drift) > 0.25 {
		t.Errorf("steady drift %g, want near 0", drift)
	}
	if _, ok := in.Extra[gate.MetricMemoryGrowth]; ok || !strings.Contains(in.Why[gate.MetricMemoryGrowth], "no resident memory") {
		t.Errorf("steady memory growth: %v", in.Why)
	}
}

// A spike that ends less than 3 measured seconds before the run does: its
// recovery cannot be seen, so it is unknown, not "never recovered".
func TestSpikeRecoveryAtTheEnd(t *testing.T) {
	t.Parallel()
	// Measured seconds 2 … 31; the spike runs from 12 s to 30 s.
	stages := []record.Stage{{StartS: 0, DurationS: 12, From: 20, To: 20}, {StartS: 12, DurationS: 18, From: 100, To: 100}, {StartS: 30, DurationS: 2, From: 20, To: 20}}
	dir := filepath.Join(t.TempDir(), "late")
	writeFixture(t, dir, fixture{Seconds: 30, Seed: 4, Stages: stages})
	d, err := loadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	exprs := []string{"p95 < 3s", "recovery_time < 10s"}
	g := judgeGates(d, exprs, nil)[1]
	if g.Verdict != record.VerdictUnknown || !strings.Contains(g.Message, "recovery needs 3 measured seconds") {
		t.Errorf("spike at the end: %s (%s), want unknown", g.Verdict, g.Message)
	}
}
