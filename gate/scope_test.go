package gate

import (
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// TestCheck: a gate whose value could only be unknown in a run of the
// scope is refused, saying why; one that can be evaluated is not.
func TestCheck(t *testing.T) {
	t.Parallel()
	flat := []record.Stage{{StartS: 0, DurationS: 30, From: 10, To: 10}}
	spike := []record.Stage{{StartS: 0, DurationS: 10, From: 10, To: 10}, {StartS: 10, DurationS: 5, From: 50, To: 50}, {StartS: 15, DurationS: 15, From: 10, To: 10}}
	// base: requests and a flow whose login step checks its answer; no
	// faults, no spike, no scrapes, writes not counted.
	base := Scope{
		Endpoints: []string{"home", "buyer.login", "buyer.cart", "buyer.iteration"},
		Checked:   []string{"", "buyer.login", "buyer.iteration"},
		Stages:    flat,
	}
	with := func(f func(*Scope)) Scope { s := base; f(&s); return s }
	faults := with(func(s *Scope) { s.Faults = []string{"redis_down"} })
	spiked := with(func(s *Scope) { s.Stages = spike; s.Gates = []Gate{MustParse("p95 < 1s")} })
	for _, c := range []struct {
		expr  string
		scope Scope
		want  string // "" for accepted, else a part of the error
	}{
		{"p95 < 1s", base, ""},
		{"buyer.login.p95 < 1s", base, ""},
		{"buyer.logn.p95 < 1s", base, `no request is named "buyer.logn" (endpoints: home, buyer.login, buyer.cart, buyer.iteration)`},
		// Scraped metrics and target series need metrics.url.
		{"cache_hit_rate > 60%", base, "metrics.url is not set"},
		{"cache_hit_rate > 60%", with(func(s *Scope) { s.Scraped = true }), ""},
		{"memory_growth < 10MB/h", base, "metrics.url is not set"},
		{"increase(orders_total) < 10", base, "increase(orders_total) from the target's Prometheus metrics, and metrics.url is not set"},
		{"increase(orders_total) < 10", with(func(s *Scope) { s.Scraped = true }), ""},
		// Fault metrics need faults; a named one, that fault.
		{"fault_error_rate < 5%", base, "the scenario has no faults"},
		{"fault_error_rate < 5%", faults, ""},
		{"redis_down.fault_error_rate < 5%", faults, ""},
		{"redis_dwon.recovery_time < 5s", faults, `no fault is named "redis_dwon" (faults: redis_down)`},
		{"redis_down.recovery_time < 5s", base, `no fault is named "redis_down" (faults: none)`},
		// recovery_time: the faults', or after a spike, measured against
		// the p95 or error_rate gates.
		{"recovery_time < 10s", base, "neither faults nor a spike"},
		{"recovery_time < 10s", faults, ""},
		{"recovery_time < 10s", spiked, ""},
		{"recovery_time < 10s", with(func(s *Scope) { s.Stages = spike; s.Gates = []Gate{MustParse("p99 < 1s")} }), "measured against the run's p95 and error_rate gates"},
		{"recovery_time < 10s", with(func(s *Scope) { s.Stages = spike; s.Gates = []Gate{MustParse("error_rate <= 1%")} }), ""},
		// checks: where a check runs.
		{"checks > 99%", base, ""},
		{"buyer.iteration.checks > 99%", base, ""},
		{"buyer.login.checks > 99%", base, ""},
		{"buyer.cart.checks > 99%", base, "buyer.cart holds no check (checks are written on flow steps: check:; endpoints with checks: buyer.login, buyer.iteration)"},
		{"home.checks > 99%", base, "home holds no check"},
		{"checks > 99%", with(func(s *Scope) { s.Checked = nil }), "the scenario has no check"},
		// writes_lost: only where the writes are counted.
		{"writes_lost <= 0", base, "writes are not counted"},
		{"writes_lost <= 0", with(func(s *Scope) { s.WritesChecked = true }), ""},
		// p95_drift: at least 4 measured seconds.
		{"p95_drift < 10%", base, ""},
		{"p95_drift < 10%", with(func(s *Scope) { s.Stages = []record.Stage{{DurationS: 5}}; s.WarmupS = 2 }), "needs at least 4 of them; the scenario measures 3s"},
	} {
		err := MustParse(c.expr, testSeries()...).Check(c.scope)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %v", c.expr, err)
		case c.want != "" && err == nil:
			t.Errorf("%s: accepted, want %q", c.expr, c.want)
		case c.want != "" && (!strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `gate "`+c.expr+`"`)):
			t.Errorf("%s: %v, want it to name the gate and say %q", c.expr, err, c.want)
		}
	}
}

func TestSpikeEnd(t *testing.T) {
	t.Parallel()
	st := func(start, d, level float64) record.Stage {
		return record.Stage{StartS: start, DurationS: d, From: level, To: level}
	}
	for _, c := range []struct {
		stages []record.Stage
		end    float64
		ok     bool
	}{
		{[]record.Stage{st(0, 10, 10), st(10, 5, 50), st(15, 10, 10)}, 15, true},
		// The peak is the last stage: nothing after it to recover in.
		{[]record.Stage{st(0, 10, 10), st(10, 5, 50)}, 0, false},
		// Not 1.5 times the first stage.
		{[]record.Stage{st(0, 10, 10), st(10, 5, 14), st(15, 10, 10)}, 0, false},
		{[]record.Stage{st(0, 10, 10)}, 0, false},
		{nil, 0, false},
		// A ramp to a plateau that never comes down is no spike.
		{[]record.Stage{{StartS: 0, DurationS: 10, From: 10, To: 50}, st(10, 20, 50)}, 0, false},
	} {
		if end, ok := SpikeEnd(c.stages); end != c.end || ok != c.ok {
			t.Errorf("%+v: %g %v, want %g %v", c.stages, end, ok, c.end, c.ok)
		}
	}
}
