package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/loadgate/loadgate/report/gate"
	"github.com/loadgate/loadgate/runner/results"
)

// inconclusiveWords is the verdict of a run whose generator could not keep
// its plan.
const inconclusiveWords = "inconclusive: the generator could not keep the plan"

// decide combines the gates and the run's status into an Outcome. A run
// that did not complete cannot pass: aborted is a fail (the load did not
// hold; an abort gate that ended it is a fail even when other gates cannot
// be evaluated over the shortened run), failed is unknown (nothing
// trustworthy was measured), and so is running (the run did not finish:
// what was measured is a part of it). Nor can a partial merge of shards (a
// fail: part of the load was never sent).
func decide(run *results.Run, gates []results.Gate) results.Outcome {
	o := results.Outcome{Verdict: gate.Verdict(gates), Gates: gates}
	for _, g := range gates {
		switch g.Verdict {
		case results.VerdictFail:
			o.Reasons = append(o.Reasons, fmt.Sprintf("failed: %s — %s", g.Expr, g.Message))
		case results.VerdictUnknown:
			o.Reasons = append(o.Reasons, fmt.Sprintf("unknown: %s", g.Message))
		}
	}
	if m := run.Merged; m != nil && m.Partial {
		o.Reasons = append(o.Reasons, fmt.Sprintf("a partial merge: %d of %d shards, the plan's load was not all sent", m.Shards, m.Of))
		if o.Verdict == results.VerdictPass {
			o.Verdict = results.VerdictFail
		}
	}
	if why := results.PlanDistortion(run.Generator, run.Overall, gates); why != "" {
		o.Inconclusive = why
		o.Reasons = append(o.Reasons, inconclusiveWords+": "+why)
		if o.Verdict == results.VerdictPass {
			o.Verdict = results.VerdictUnknown
		}
	}
	switch run.Status {
	case results.StatusCompleted, "":
	case results.StatusAborted:
		if a := run.Abort; a != nil {
			// An abort gate failed: that is a verdict, whatever else could
			// not be evaluated over the shortened run.
			o.Reasons = append(o.Reasons, abortWords(a))
			o.Verdict = results.VerdictFail
			break
		}
		o.Reasons = append(o.Reasons, "the run was aborted before its plan completed")
		if o.Verdict == results.VerdictPass {
			o.Verdict = results.VerdictFail
		}
	case results.StatusRunning:
		o.Incomplete = true
		o.Reasons = append(o.Reasons, incompleteNote(run))
		o.Verdict = results.VerdictUnknown
	default:
		o.Reasons = append(o.Reasons, fmt.Sprintf("the run's status is %q", run.Status))
		o.Verdict = results.VerdictUnknown
	}
	return o
}

// incompleteNote says that a checkpointed run did not finish, and what its
// figures cover.
func incompleteNote(run *results.Run) string {
	return fmt.Sprintf("the run did not finish (run.json is its last checkpoint, status %s: loadgate was killed, or is still running); what is shown was measured over its first %s",
		run.Status, run.Ended.Sub(run.Started).Round(time.Second))
}

// abortWords says which abort gate ended the run, when and why.
func abortWords(a *results.Abort) string {
	return fmt.Sprintf("aborted by the gate %s after %s: %s (over the last %gs)", a.Gate.Expr,
		time.Duration(a.AtS*float64(time.Second)).Round(time.Second), a.Gate.Message, a.WindowS)
}

// mergedWords says how many shards a merged run holds and how far apart
// they started: "2 of 2 merged, starts within 12ms".
func mergedWords(m *results.Merged) string {
	spread := time.Duration(m.StartSpreadS * float64(time.Second)).Round(time.Millisecond)
	w := fmt.Sprintf("%d of %d merged, starts within %s", m.Shards, m.Of, spread)
	if m.Partial {
		w += " (partial"
		if len(m.Missing) > 0 {
			parts := make([]string, len(m.Missing))
			for i, x := range m.Missing {
				parts[i] = fmt.Sprint(x)
			}
			w += ", missing " + strings.Join(parts, ", ")
		}
		w += ")"
	}
	return w
}
