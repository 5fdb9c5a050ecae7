package scenarios

import (
	"strings"
	"testing"
	"time"
)

// TestDescribeRoundsDurations: a shortened run's stages are printed rounded
// (4.3s, not 4.285714286s); the plan itself keeps the exact durations.
func TestDescribeRoundsDurations(t *testing.T) {
	t.Parallel()
	sc, err := Builtin("steady")
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Apply(Overrides{Duration: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	got := sc.Describe()
	for _, want := range []string{"30s in total", "first 10s warm-up", "  1  0s     4.3s      0 -> 50/s", "  2  4.3s   25.7s     50/s"} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "4.285714286s") {
		t.Errorf("plan prints unrounded durations:\n%s", got)
	}
	if d := sc.Load.Stages[0].Duration.D(); d != 4285714286*time.Nanosecond {
		t.Errorf("stage 1 lasts %s, want the exact 4.285714286s", d)
	}
}

func TestRoundForDisplay(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{8571428571 * time.Nanosecond, "8.6s"},
		{3*time.Minute + 25714285714*time.Nanosecond, "3m25.7s"},
		{428571428 * time.Nanosecond, "429ms"},
		{1500 * time.Microsecond, "1.5ms"},
		{30 * time.Second, "30s"},
		{0, "0s"},
	} {
		if got := roundForDisplay(c.in); got != c.want {
			t.Errorf("roundForDisplay(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestDurationKeepsTheWarmup: --duration scales the stages but the warm-up
// keeps its length (caches fill as slowly in a short run), up to a third of
// the new duration, as README.md and scenarios/README.md say.
func TestDurationKeepsTheWarmup(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		duration, warmup time.Duration
	}{
		{10 * time.Minute, 10 * time.Second}, // longer: kept, not scaled up
		{30 * time.Second, 10 * time.Second}, // a third exactly
		{15 * time.Second, 5 * time.Second},  // shorter: a third of the run
	} {
		sc, err := Builtin("steady") // 3m30s, warm-up 10s
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.Apply(Overrides{Duration: c.duration}); err != nil {
			t.Fatal(err)
		}
		if sc.TotalDuration() != c.duration || sc.Load.Warmup.D() != c.warmup {
			t.Errorf("--duration %s: total %s, warm-up %s; want warm-up %s", c.duration, sc.TotalDuration(), sc.Load.Warmup, c.warmup)
		}
	}
}

// TestDescribeKeepsScenarioTextInItsLine: no string of a scenario starts a
// line of the dry run's plan: a line feed in a path, a step's path or a
// gate shows as \n; the description keeps its lines, indented under the
// first.
func TestDescribeKeepsScenarioTextInItsLine(t *testing.T) {
	t.Parallel()
	sc, err := Parse([]byte(`name: hostile
description: "first\nFORGED description"
target: {base_url: "http://127.0.0.1:1", health: none}
load:
  stages: [{duration: 1s, rate: 1/s}]
requests:
  - {name: hello, path: "/hello\nFORGED path"}
flows:
  - name: f
    steps:
      - {name: s, path: "/x\nFORGED step"}
`), "s.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got := sc.Describe()
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "FORGED") {
			t.Errorf("a line of the plan is the scenario's: %q\n%s", line, got)
		}
	}
	for _, want := range []string{"          first\n          FORGED description\n", `/hello\nFORGED path`, `/x\nFORGED step`} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
}
