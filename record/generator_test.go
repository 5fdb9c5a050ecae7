package record

import (
	"strings"
	"testing"
)

func TestDistortion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		g    *Generator
		p50  float64  // µs
		want []string // in the reason; none: no distortion
	}{
		// A closed model or an older run.json: nothing to say.
		{"nil", nil, 1000, nil},
		// Every planned request sent, lag P99 2 ms: kept, though some
		// requests were late.
		{"kept", &Generator{Planned: 3000, Sent: 3000, Completed: 3000, Late: 12, SendLag: Latency{P99: 2000}}, 800, nil},
		// A 40 ms lag against a 10 ms P50 is 400 %, but under the floor.
		{"under the floor", &Generator{Planned: 100, Sent: 100, SendLag: Latency{P99: 40_000}}, 10_000, nil},
		// A 300 ms lag against a 1 s P50: 30 %, under the share.
		{"under the share", &Generator{Planned: 100, Sent: 100, SendLag: Latency{P99: 300_000}}, 1_000_000, nil},
		// A 900 ms lag against a 1 s P50: 90 %.
		{"lag", &Generator{Planned: 100, Sent: 100, SendLag: Latency{P99: 900_000}}, 1_000_000, []string{"send lag P99 was 900ms", "P50 of 1s", "50 %"}},
		// 0.6 % unsent: within MaxShortfall (1 %).
		{"small shortfall", &Generator{Planned: 1000, Sent: 994}, 1000, nil},
		// 2 % unsent: over it.
		{"2 % short", &Generator{Planned: 1000, Sent: 980}, 1000, []string{"sent 980 of 1000 planned", "2.0 % short", "at most 1 %"}},
		// 20 % unsent.
		{"shortfall", &Generator{Planned: 1000, Sent: 800}, 1000, []string{"sent 800 of 1000 planned", "20.0 % short"}},
		// Both.
		{"both", &Generator{Planned: 1000, Sent: 800, SendLag: Latency{P99: 2_000_000}}, 1000, []string{"sent 800 of 1000", ", and its send lag P99 was 2s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.g.Distortion(tt.p50)
			if (got == "") != (len(tt.want) == 0) {
				t.Fatalf("Distortion = %q, want a reason: %v", got, len(tt.want) > 0)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Distortion = %q, want %q in it", got, w)
				}
			}
		})
	}
}

func TestInFlightAtEnd(t *testing.T) {
	t.Parallel()
	if n := (&Generator{Sent: 100, Completed: 70}).InFlightAtEnd(); n != 30 {
		t.Errorf("InFlightAtEnd = %d, want 30", n)
	}
}
