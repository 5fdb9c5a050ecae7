package record

import "fmt"

// Outcome is a run's verdict with its reasons, as the report decides it
// (report.Judge, report.Gate) and a capacity step records it.
type Outcome struct {
	// Verdict is VerdictPass, VerdictFail or VerdictUnknown.
	Verdict string
	// Gates are the evaluated gates: the scenario's (or the overrides) and,
	// with a baseline, one regression gate per checked metric.
	Gates []Gate
	// Reasons say in plain words why the verdict is not a pass: the failed
	// and unknown gates, an aborted or incomplete run.
	Reasons []string
	// Incomplete is set when the run did not finish: its run.json is a
	// checkpoint (status running). Its verdict is unknown.
	Incomplete bool
	// Inconclusive says, with the figures, why the generator's lateness
	// distorts the gates' verdict (a latency gate whose verdict the send
	// lag may have decided); then the verdict is unknown, not a pass.
	Inconclusive string
	// NotAsPlanned says, with the figures, how the run did not do what it
	// planned: more than MaxShortfall of its plan unsent (unique data
	// exhausted, a starved generator), a fault drill that failed to inject
	// or undo. The verdict is then unknown (for a drill, unless a gate
	// failed): never a pass. It is the verdict's first reason.
	NotAsPlanned string
	// FailedBy says why the run fails when no gate failed: it was
	// interrupted, an abort gate ended it, a partial merge. The verdict's
	// line says it.
	FailedBy string
}

// ExitCode maps the verdict to the CLI's exit code: 0 pass, 1 fail,
// 2 unknown (could not evaluate). A run where a gate failed has verdict
// fail, whatever other gates could not be evaluated (gate.Verdict), so it
// exits 1.
func (o Outcome) ExitCode() int {
	switch o.Verdict {
	case VerdictPass:
		return 0
	case VerdictFail:
		return 1
	}
	return 2
}

// Headline says the verdict in one line for banners and summaries.
func (o Outcome) Headline() string {
	if o.Incomplete {
		return "INCOMPLETE — the run did not finish, so it cannot be judged"
	}
	n, failed, unknown := len(o.Gates), 0, 0
	for _, g := range o.Gates {
		switch g.Verdict {
		case VerdictFail:
			failed++
		case VerdictUnknown:
			unknown++
		}
	}
	if o.NotAsPlanned != "" && o.Verdict != VerdictFail {
		return "INCONCLUSIVE — " + o.NotAsPlanned
	}
	if o.Inconclusive != "" && o.Verdict != VerdictFail {
		return "INCONCLUSIVE — the generator could not keep the plan"
	}
	switch o.Verdict {
	case VerdictPass:
		if n == 0 {
			return "PASS — no gates"
		}
		if n == 1 {
			return "PASS — 1 gate holds"
		}
		return fmt.Sprintf("PASS — all %d gates hold", n)
	case VerdictFail:
		if failed == 0 {
			if o.FailedBy != "" {
				return "FAIL — " + o.FailedBy
			}
			return "FAIL"
		}
		h := fmt.Sprintf("FAIL — %d of %s failed", failed, gates(n))
		if unknown > 0 {
			// A fail outranks an unknown (gate.Verdict): still say it.
			h += fmt.Sprintf(", %d could not be evaluated", unknown)
		}
		return h
	}
	if unknown == 0 {
		return "UNKNOWN — the run cannot be judged"
	}
	return fmt.Sprintf("UNKNOWN — %d of %s could not be evaluated", unknown, gates(n))
}

// gates is "1 gate" or "n gates".
func gates(n int) string {
	if n == 1 {
		return "1 gate"
	}
	return fmt.Sprintf("%d gates", n)
}
