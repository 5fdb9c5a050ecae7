package scenarios

import (
	"strings"
	"testing"
	"time"
)

func TestApplyStep(t *testing.T) {
	t.Parallel()
	s, err := Resolve("users", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.FinalLevel(); got != 100 {
		t.Fatalf("FinalLevel %v, want 100", got)
	}
	if err := s.ApplyStep(Step{From: 40, Level: 60.4, Ramp: 5 * time.Second, Hold: 30 * time.Second, Exclude: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	st := s.Load.Stages
	if len(st) != 2 || st[0].Users.From != 40 || st[0].Users.To != 60 || !st[1].Users.Constant() || st[1].Users.To != 60 {
		t.Fatalf("stages %+v", st)
	}
	if s.Load.Warmup.D() != 10*time.Second || s.TotalDuration() != 35*time.Second {
		t.Errorf("warm-up %s, total %s", s.Load.Warmup, s.TotalDuration())
	}

	o, err := Resolve("smoke", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.ApplyStep(Step{Level: 25, Hold: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if len(o.Load.Stages) != 1 || o.Load.Stages[0].Rate.To != 25 || o.Load.Warmup != 0 || o.ExpectedRequests() != 50 {
		t.Errorf("open step: %+v warm-up %s, %d requests", o.Load.Stages, o.Load.Warmup, o.ExpectedRequests())
	}
	for _, bad := range []Step{{Level: 0, Hold: time.Second}, {Level: 5, Hold: time.Second, Exclude: time.Second}, {Level: 5, From: -1, Hold: time.Second}} {
		if err := o.ApplyStep(bad); err == nil || !strings.Contains(err.Error(), "capacity step") {
			t.Errorf("%+v: err %v", bad, err)
		}
	}
}
