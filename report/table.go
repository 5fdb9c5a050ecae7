package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/loadgate/loadgate/redact"
)

// writeGateTable prints the gate table for a terminal: one line per gate,
// then the reasons for anything that is not a pass, then the verdict.
func writeGateTable(w io.Writer, j *judged) error {
	run := j.data.Run
	fmt.Fprintf(w, "%s · %s · %s\n%s\n\n", redact.Terminal(run.Scenario), redact.Terminal(run.ID), redact.Terminal(run.Status), redact.Terminal(j.basis))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GATE\tVALUE\tTHRESHOLD\tMARGIN\tVERDICT")
	for _, r := range gateRows(j.outcome.Gates) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", redact.Terminal(r.Expr), r.Value, r.Threshold, r.Margin, redact.Terminal(strings.ToUpper(r.Verdict)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(j.deltas) > 0 {
		fmt.Fprintln(w, "\nAgainst the baseline:")
		for _, d := range j.deltas {
			fmt.Fprintf(w, "  %s\n", redact.Terminal(d))
		}
	}
	for _, warn := range run.Warnings {
		fmt.Fprintf(w, "\nwarning: %s", redact.Terminal(warn))
	}
	for _, e := range run.Expected {
		fmt.Fprintf(w, "\nexpected: %s", redact.Terminal(e))
	}
	if len(j.outcome.Reasons) > 0 {
		fmt.Fprintln(w)
		for _, r := range j.outcome.Reasons {
			fmt.Fprintf(w, "\n%s", redact.Terminal(r))
		}
		fmt.Fprintln(w)
	}
	if _, err := fmt.Fprintf(w, "\n%s\n", redact.Terminal(j.outcome.Headline())); err != nil {
		return err
	}
	// The last lines: why requests failed, by kind and count.
	if reasons := errorReasons(run, maxReasons); len(reasons) > 0 {
		o := run.Overall
		fmt.Fprintf(w, "errors: %d of %d requests failed\n", o.Requests-o.Successes, o.Requests)
		for _, r := range reasons {
			fmt.Fprintf(w, "  %s\n", redact.Terminal(r))
		}
	}
	return nil
}
