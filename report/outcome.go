package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// inconclusiveWords is the verdict of a run whose generator could not keep
// its plan.
const inconclusiveWords = "inconclusive: the generator could not keep the plan"

// decide combines the gates and the run's status into an Outcome. The
// gates' verdict is gate.Verdict's: fail when any gate failed (the unknown
// ones are still listed), else unknown when any could not be evaluated,
// else pass. Then a run that did not complete cannot pass: aborted is a fail (the load did not
// hold; an abort gate that ended it is a fail even when other gates cannot
// be evaluated over the shortened run), failed is unknown (nothing
// trustworthy was measured), and so is running (the run did not finish:
// what was measured is a part of it). Nor can a partial merge of shards (a
// fail: part of the load was never sent).
func decide(run *record.Run, gates []record.Gate) record.Outcome {
	o := record.Outcome{Verdict: gate.Verdict(gates), Gates: gates}
	for _, g := range gates {
		switch g.Verdict {
		case record.VerdictFail:
			o.Reasons = append(o.Reasons, fmt.Sprintf("failed: %s — %s", g.Expr, g.Message))
		case record.VerdictUnknown:
			o.Reasons = append(o.Reasons, fmt.Sprintf("unknown: %s", g.Message))
		}
	}
	if m := run.Merged; m != nil && m.Partial {
		o.Reasons = append(o.Reasons, fmt.Sprintf("a partial merge: %d of %d shards, the plan's load was not all sent", m.Shards, m.Of))
		if o.Verdict == record.VerdictPass {
			o.Verdict = record.VerdictFail
			o.FailedBy = fmt.Sprintf("a partial merge: %d of %d shards", m.Shards, m.Of)
		}
	}
	if why, flips := planDistortion(run.Generator, gates); why != "" {
		o.Inconclusive = why
		o.Reasons = append(o.Reasons, inconclusiveWords+": "+why)
		if o.Verdict == record.VerdictPass || (o.Verdict == record.VerdictFail && flips) {
			o.Verdict = record.VerdictUnknown
		}
	}
	// A run that did not do what it planned is never a pass: a plan left
	// unsent makes it inconclusive whatever its gates say; a drill that
	// failed, unless a gate failed. Its reason comes first.
	if why, detail, always := notAsPlanned(run); why != "" && run.Status != record.StatusRunning {
		o.NotAsPlanned = why
		o.Reasons = append([]string{"the run did not do what it planned: " + detail}, o.Reasons...)
		if always || o.Verdict == record.VerdictPass {
			o.Verdict = record.VerdictUnknown
		}
	}
	switch run.Status {
	case record.StatusCompleted, "":
	case record.StatusAborted:
		if a := run.Abort; a != nil {
			// An abort gate failed: that is a verdict, whatever else could
			// not be evaluated over the shortened run.
			o.Reasons = append(o.Reasons, abortWords(a))
			o.Verdict = record.VerdictFail
			o.FailedBy = fmt.Sprintf("the abort gate %s ended the run after %s", a.Gate.Expr,
				time.Duration(a.AtS*float64(time.Second)).Round(time.Second))
			break
		}
		const interrupted = "the run was interrupted before its plan completed"
		o.Reasons = append(o.Reasons, interrupted+" (SIGINT or SIGTERM)")
		if o.Verdict == record.VerdictPass {
			o.Verdict = record.VerdictFail
			o.FailedBy = interrupted
		}
	case record.StatusRunning:
		o.Incomplete = true
		o.Reasons = append(o.Reasons, incompleteNote(run))
		o.Verdict = record.VerdictUnknown
	default:
		o.Reasons = append(o.Reasons, fmt.Sprintf("the run's status is %q", run.Status))
		o.Verdict = record.VerdictUnknown
	}
	return o
}

// notAsPlanned says how the run did not do what it planned, in a few words
// (why, the verdict's line) and with the figures and errors (detail): its
// attack stopped on its own with more than record.MaxShortfall of its
// measured time left (unique data exhausted), or its generator left more
// than that share of the planned requests unsent; always is then set (no
// gate can be trusted). Failed drills (injection or undo) are said too,
// without always: a gate that failed still fails. "" when the run went as
// planned.
func notAsPlanned(run *record.Run) (why, detail string, always bool) {
	var short, long []string
	if share := run.Stopped.Unsent(run.WarmupS); share > record.MaxShortfall {
		w := fmt.Sprintf("its attack stopped after %s of its %s plan, leaving %.0f %% of the measured time unsent",
			roundSecs(run.Stopped.AtS), roundSecs(run.Stopped.PlanS), share*100)
		short, long = append(short, w), append(long, w+" ("+run.Stopped.Reason+")")
	}
	if w := run.Generator.Shortfall(); w != "" {
		short, long = append(short, w), append(long, w)
	}
	always = len(short) > 0
	for _, f := range run.Faults {
		switch {
		case f.Error != "":
			short = append(short, "drill "+f.Name+" failed to inject")
			long = append(long, fmt.Sprintf("drill %s failed to inject (%s)", f.Name, f.Error))
		case f.UndoError != "":
			short = append(short, "drill "+f.Name+" failed to undo")
			long = append(long, fmt.Sprintf("drill %s failed to undo (%s)", f.Name, f.UndoError))
		}
	}
	return strings.Join(short, "; "), strings.Join(long, "; "), always
}

// planDistortion says why the generator's lateness distorts the verdict
// of gates, with the figures; "" when it does not. A lag
// distorts a latency gate when the gate's verdict would differ without it:
// latency is measured from the intended send time, so the lag is inside
// it, and the gate's value less the send lag at the same percentile
// estimates the target's own part. So a late generator can turn an upper
// bound (p95 < 3s) into a fail or a lower bound (p50 >= 20ms) into a pass,
// never the other way; service time (from the actual send) and error
// rates do not depend on it. flips is set when every failed gate may have
// failed by the lag alone.
func planDistortion(g *record.Generator, gates []record.Gate) (why string, flips bool) {
	if g == nil {
		return "", false
	}
	var parts []string
	failed, lagFailed := 0, 0
	for _, gt := range gates {
		if gt.Verdict == record.VerdictFail {
			failed++
		}
		p, err := gate.Parse(gt.Expr)
		if err != nil || gt.Unit != "us" || gt.Value == nil || strings.HasPrefix(p.Metric, "service_time") {
			continue
		}
		lag := lagAt(g.SendLag, p.Metric)
		if lag <= 0 {
			continue
		}
		without := *gt.Value - lag
		upper := p.Op == gate.Less || p.Op == gate.LessEqual
		holds := without < gt.Threshold || (p.Op == gate.LessEqual && without == gt.Threshold)
		if !upper {
			holds = without > gt.Threshold || (p.Op == gate.GreaterEqual && without == gt.Threshold)
		}
		switch {
		case upper && gt.Verdict == record.VerdictFail && holds:
			lagFailed++
			parts = append(parts, fmt.Sprintf("%s failed at %s, but requests left up to %s late at that percentile: without the lag it would hold", gt.Expr, gate.FormatMicros(*gt.Value), gate.FormatMicros(lag)))
		case !upper && gt.Verdict == record.VerdictPass && !holds:
			parts = append(parts, fmt.Sprintf("%s held at %s only with a send lag of %s inside it", gt.Expr, gate.FormatMicros(*gt.Value), gate.FormatMicros(lag)))
		}
	}
	return strings.Join(parts, "; "), failed > 0 && lagFailed == failed
}

// lagAt is the send lag at the percentile a latency metric reads
// ("p95", "all.p99", "chat.max" …), P99 when it names none.
func lagAt(l record.Latency, metric string) float64 {
	switch metric[strings.LastIndex(metric, ".")+1:] {
	case "p50":
		return l.P50
	case "p90":
		return l.P90
	case "p95":
		return l.P95
	case "p99.9", "p999", "9":
		return l.P999
	case "max":
		return l.Max
	case "mean":
		return l.Mean
	case "min":
		return l.Min
	}
	return l.P99
}

// incompleteNote says that a checkpointed run did not finish, and what its
// figures cover.
func incompleteNote(run *record.Run) string {
	return fmt.Sprintf("the run did not finish (run.json is its last checkpoint, status %s: loadgate was killed, or is still running); what is shown was measured over its first %s",
		run.Status, run.Ended.Sub(run.Started).Round(time.Second))
}

// abortWords says which abort gate ended the run, when and why.
func abortWords(a *record.Abort) string {
	return fmt.Sprintf("aborted by the gate %s after %s: %s (over the last %gs)", a.Gate.Expr,
		time.Duration(a.AtS*float64(time.Second)).Round(time.Second), a.Gate.Message, a.WindowS)
}

// mergedWords says how many shards a merged run holds and how far apart
// they started: "2 of 2 merged, starts within 12ms".
func mergedWords(m *record.Merged) string {
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

// roundSecs formats seconds as a duration to the tenth of a second.
func roundSecs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond).String()
}
