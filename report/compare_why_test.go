package report

import (
	"path/filepath"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// The comparison's verdict line says why a run is not a pass when no gate
// decided it: a run that did not do what it planned is INCONCLUSIVE with
// its reason (before: "is UNKNOWN: 0 of 1 could not be evaluated"), an
// interrupted run FAILS saying it was interrupted.
func TestComparisonVerdictSaysWhy(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	gates := []string{"p95 < 10s"}
	var runs []*runData
	for i, mutate := range []func(*record.Run){
		func(r *record.Run) { r.Stopped = &record.Stopped{AtS: 1, PlanS: 10, Reason: "unique data exhausted"} },
		func(r *record.Run) { r.Status = record.StatusAborted },
	} {
		dir := filepath.Join(root, []string{"a", "b"}[i])
		run := writeFixture(t, dir, fixture{Seconds: 10, Seed: 1, Gates: gates})
		mutate(run)
		if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
			t.Fatal(err)
		}
		d, err := loadRun(dir)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, d)
	}
	parts := compareVerdicts(runs, []string{"a", "b"}, gates)
	want := []string{
		"a is INCONCLUSIVE (its attack stopped after 1s of its 10s plan, leaving 100 % of the measured time unsent)",
		"b FAILS (the run was interrupted before its plan completed)",
	}
	for i, w := range want {
		if parts[i].Words != w {
			t.Errorf("run %d: %q, want %q", i, parts[i].Words, w)
		}
	}
}
