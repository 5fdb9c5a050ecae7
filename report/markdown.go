package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// verdictIcon marks a verdict in Markdown.
func verdictIcon(v string) string {
	switch v {
	case record.VerdictPass:
		return "✅ pass"
	case record.VerdictFail:
		return "❌ fail"
	}
	return "⚠️ unknown"
}

// writeSummary writes summary.md: verdict, gate table, key deltas against
// the baseline, endpoints. It is meant for a CI job summary or a pull
// request comment, so it is short and has no HTML. Every string in it that
// is not a literal of this file goes through mdText.
func writeSummary(w io.Writer, j *judged) {
	run := j.data.Run
	fmt.Fprintf(w, "## loadgate: %s — %s\n\n", mdText(run.Scenario), mdText(j.outcome.Headline()))
	fmt.Fprintf(w, "Run %s against %s, %s, status **%s**; %s; %d requests.\n\n",
		mdText(run.ID), mdText(run.Target), run.Ended.Sub(run.Started).Round(1e9), mdText(run.Status),
		mdText(rateWords(run)), run.Overall.Requests)
	if run.Merged != nil {
		fmt.Fprintf(w, "Shards: %s.\n\n", mdText(mergedWords(run.Merged)))
	}
	if j.outcome.Incomplete {
		fmt.Fprintf(w, "> ⚠️ **Incomplete**: %s.\n\n", mdText(incompleteNote(run)))
	}
	for _, n := range j.notes {
		fmt.Fprintf(w, "> %s\n\n", mdText(n))
	}
	for _, warn := range run.Warnings {
		fmt.Fprintf(w, "> ⚠️ %s\n\n", mdText(warn))
	}
	for _, e := range run.Expected {
		fmt.Fprintf(w, "> ✔️ %s\n\n", mdText(e))
	}
	if facts := serverFacts(run, true); len(facts) > 0 {
		parts := make([]string, len(facts))
		for i, f := range facts {
			parts[i] = mdText(f.Name + " " + f.Value)
		}
		fmt.Fprintf(w, "Target: %s.\n\n", strings.Join(parts, "; "))
	}
	if len(j.outcome.Gates) > 0 {
		fmt.Fprintln(w, "| gate | value | threshold | margin | verdict |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---|")
		for _, r := range gateRows(j.outcome.Gates) {
			mdRow(w, r.Expr, r.Value, r.Threshold, r.Margin, verdictIcon(r.Verdict))
		}
		fmt.Fprintln(w)
		if hasLatencyGate(j.outcome.Gates) {
			fmt.Fprint(w, "Latency gates read the successful requests unless they name `all.` or `failed.` requests.\n\n")
		}
	} else {
		fmt.Fprint(w, "No gates.\n\n")
	}
	if rows := faultRows(run); len(rows) > 0 {
		fmt.Fprintln(w, "| fault | action | window | requests | errors | P95 during | recovery |")
		fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|")
		for _, r := range rows {
			mdRow(w, r.Name, r.Action, r.Window, r.Requests, r.Errors, r.P95, r.Recovery)
		}
		fmt.Fprintf(w, "\n%s\n\n", mdText(recoveryWords(DefaultRecovery)))
	}
	if len(j.outcome.Reasons) > 0 {
		for _, r := range j.outcome.Reasons {
			fmt.Fprintf(w, "- %s\n", mdText(r))
		}
		fmt.Fprintln(w)
	}
	if len(j.deltas) > 0 {
		fmt.Fprintln(w, "**Against the baseline:**")
		fmt.Fprintln(w)
		for _, d := range j.deltas {
			fmt.Fprintf(w, "- %s\n", mdText(d))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "| endpoint | requests | errors | P50 | P95 | P99 | max | failed P95 |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range endpointRows(run) {
		mdRow(w, r.Name, r.Requests, r.Errors, r.Latency[0], r.Latency[2], r.Latency[3], r.Latency[5], r.FailedP95)
	}
	if rows := flowRows(run); len(rows) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| flow | iterations | failed | cut | skipped steps | checks passed | P50 | P95 | P99 |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, r := range rows {
			mdRow(w, r.Name, r.Iterations, r.Failed, r.Cut, r.Skipped, r.Checks, r.Latency[0], r.Latency[2], r.Latency[3])
		}
	}
	writeStreamSummary(w, run)
	if rows := checkRows(run); len(rows) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| step | check | passed | failed |")
		fmt.Fprintln(w, "|---|---|---:|---:|")
		for _, r := range rows {
			mdRow(w, r.Step, r.Check, r.Passed, r.Failed)
		}
	}
	fmt.Fprintf(w, "\nP50 to max are the latency of successful requests, as latency gates read it (`all.p95`, `failed.p95` read the others); failed P95 is that of the failed requests (other statuses, timeouts, refused connections). Latency is corrected for coordinated omission. Full report: `%s`.\n", record.ReportFile)
}

// hasLatencyGate reports whether any gate reads a latency of requests.
func hasLatencyGate(gates []record.Gate) bool {
	for _, g := range gates {
		if p, err := gate.Parse(g.Expr); err == nil && p.Population != "" {
			return true
		}
	}
	return false
}

// mdRow writes one table row, every cell through mdText.
func mdRow(w io.Writer, cells ...string) {
	var b strings.Builder
	b.WriteByte('|')
	for _, c := range cells {
		b.WriteByte(' ')
		if t := mdText(c); t != "" {
			b.WriteString(t)
			b.WriteByte(' ')
		}
		b.WriteByte('|')
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}
