package runner

import (
	"math"
	"testing"
	"time"

	"github.com/loadgate/loadgate/scenarios"
)

// TestScheduleHitCounts checks that the schedule sends exactly the requests
// each stage asks for: constant stages, ramps up and down, a pause.
func TestScheduleHitCounts(t *testing.T) {
	t.Parallel()
	stages := []stageLevel{
		{dur: 10 * time.Second, from: 0, to: 100},   // ramp up: 500
		{dur: 30 * time.Second, from: 100, to: 100}, // constant: 3000
		{dur: 5 * time.Second, from: 0, to: 0},      // pause: 0
		{dur: 4 * time.Second, from: 50, to: 10},    // ramp down: 120
		{dur: 1500 * time.Millisecond, from: 2, to: 2},
	}
	want := []int{500, 3000, 0, 120, 3}
	s := newSchedule(stages)
	if s.total != 3623 {
		t.Fatalf("total %d, want 3623", s.total)
	}
	got := make([]int, len(stages))
	var prev time.Duration
	for k := uint64(0); k < s.total; k++ {
		d := s.due(k)
		if d < prev {
			t.Fatalf("due(%d) = %s before due(%d) = %s", k, d, k-1, prev)
		}
		prev = d
		var start time.Duration
		for i, st := range stages {
			if d >= start && d < start+st.dur {
				got[i]++
				break
			}
			start += st.dur
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stage %d: %d requests due, want %d", i, got[i], want[i])
		}
	}
}

// TestPacerPaces checks the vegeta Pacer contract: wait until the next
// request is due, stop after the last.
func TestPacerPaces(t *testing.T) {
	t.Parallel()
	p := newOpenPacer(newSchedule([]stageLevel{{dur: time.Second, from: 10, to: 10}}), time.Now)
	cases := []struct {
		name    string
		elapsed time.Duration
		hits    uint64
		wait    time.Duration
		stop    bool
	}{
		{"first request at once", 0, 0, 0, false},
		{"second due at 100ms", 50 * time.Millisecond, 1, 50 * time.Millisecond, false},
		{"behind schedule: no wait", 500 * time.Millisecond, 2, 0, false},
		{"all ten sent: stop", 900 * time.Millisecond, 10, 0, true},
	}
	for _, c := range cases {
		wait, stop := p.Pace(c.elapsed, c.hits)
		if stop != c.stop || (wait-c.wait).Abs() > time.Microsecond {
			t.Errorf("%s: Pace(%s, %d) = %s, %v; want %s, %v", c.name, c.elapsed, c.hits, wait, stop, c.wait, c.stop)
		}
	}
}

// TestScheduleMatchesScenarioCount checks that the runner's schedule and the
// scenario's dry-run count agree on every built-in open-model scenario.
func TestScheduleMatchesScenarioCount(t *testing.T) {
	t.Parallel()
	for _, name := range scenarios.Names() {
		sc, err := scenarios.Builtin(name, scenarios.Options{WritesChecked: true}) // resilience gates on writes_lost
		if err != nil {
			t.Fatal(err)
		}
		if sc.Load.Model != scenarios.ModelOpen {
			continue
		}
		s := newSchedule(stageLevels(sc))
		if int64(s.total) != sc.ExpectedRequests() {
			t.Errorf("%s: schedule sends %d, dry run says %d", name, s.total, sc.ExpectedRequests())
		}
	}
}

// TestDueBeforeAgreesWithDue: the requests due before t, as the figures
// count the window's edges, are exactly those whose due time (what the
// recorder reads) is before t; and a request due on t itself is not
// among them, wherever floating point puts it.
func TestDueBeforeAgreesWithDue(t *testing.T) {
	t.Parallel()
	for _, st := range [][]stageLevel{
		{{dur: 5 * time.Second, from: 1, to: 10}, {dur: 25 * time.Second, from: 10, to: 10}},
		{{dur: 10 * time.Second, from: 0, to: 50}, {dur: 50 * time.Second, from: 50, to: 50}},
		{{dur: 3 * time.Second, from: 7, to: 13}, {dur: 7 * time.Second, from: 13, to: 3}},
		{{dur: time.Second, from: 0, to: 50}, {dur: time.Second, from: 50, to: 50}},
	} {
		s := newSchedule(st)
		for at := time.Duration(0); at <= s.end; at += 10 * time.Millisecond {
			var n int64
			for k := uint64(0); k < s.total; k++ {
				if s.due(k) < at {
					n++
				}
			}
			got := s.dueBefore(at)
			if got != n {
				t.Errorf("%v: dueBefore(%v) = %d, but %d requests are due before it", st, at, got, n)
			}
			if h := s.hits(at); math.Abs(h-math.Round(h)) < 1e-9 && got != int64(math.Round(h)) {
				t.Errorf("%v: dueBefore(%v) = %d, want H = %v (the request due at %v is measured)", st, at, got, h, at)
			}
		}
	}
}
