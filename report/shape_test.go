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
	gates := gate.EvaluateInput(gateInput(d, exprs), exprs)
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
	g := gate.EvaluateInput(gateInput(d, exprs), exprs)[2]
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

// st is a stage: start and duration in seconds, rate from and to.
func st(start, dur, from, to float64) record.Stage {
	return record.Stage{StartS: start, DurationS: dur, From: from, To: to}
}

func TestSpikeEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stages []record.Stage
		end    float64
		ok     bool
	}{
		// base, spike, base
		{[]record.Stage{st(0, 10, 10, 10), st(10, 5, 50, 50), st(15, 10, 10, 10)}, 15, true},
		// a ramp to a plateau that never comes down is no spike
		{[]record.Stage{st(0, 10, 10, 50), st(10, 20, 50, 50)}, 0, false},
		// a peak too small to count
		{[]record.Stage{st(0, 10, 10, 10), st(10, 5, 12, 12), st(15, 10, 10, 10)}, 0, false},
		{nil, 0, false},
	}
	for i, tt := range tests {
		end, ok := spikeEnd(tt.stages)
		if end != tt.end || ok != tt.ok {
			t.Errorf("case %d: %g %v, want %g %v", i, end, ok, tt.end, tt.ok)
		}
	}
}
