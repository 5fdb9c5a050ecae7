package report

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"

	"github.com/loadgate/loadgate/report/gate"
	"github.com/loadgate/loadgate/runner/results"
)

// judged is a run with its gates evaluated.
type judged struct {
	data    *runData
	outcome results.Outcome
	// deltas are the plain-words P95 deltas against the baseline, if any.
	deltas []string
}

// judge reads dir (and the baseline) and evaluates the gates. A missing or
// corrupt file is an error that names it.
func judge(dir string, o Options) (*judged, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	d, err := loadRun(dir)
	if err != nil {
		return nil, err
	}
	exprs := d.Run.Plan.Gates
	if o.Gates != nil {
		exprs = o.Gates
	}
	gates := gate.EvaluateInput(gateInput(d, exprs), exprs)
	j := &judged{data: d}
	if o.Baseline != "" {
		base, err := loadRun(o.Baseline)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		gates = append(gates, regressionGates(base, d, o.MaxRegression, o.Alpha)...)
		j.deltas = keyDeltas(base, d, o.Alpha)
	}
	j.outcome = decide(d.Run, gates)
	return j, nil
}

// keyDeltas says the P95 change of the whole run and of each endpoint both
// runs have, in plain words.
func keyDeltas(base, cur *runData, alpha float64) []string {
	var out []string
	for _, ep := range append([]string{""}, commonEndpoints(base.Run, cur.Run)...) {
		d, err := compareSeries(base, cur, ep, "p95", alpha)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", seriesName(ep), err))
			continue
		}
		w := d.Words()
		if ep == "" {
			w = "all endpoints " + w
		}
		out = append(out, w)
	}
	return out
}

func commonEndpoints(a, b *results.Run) []string {
	var out []string
	for _, n := range endpointNames(a) {
		if _, ok := b.Endpoints[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// Finish completes a run directory written by the runner: it evaluates the
// gates (the scenario's, or Options.Gates; with Options.Baseline also the
// regression check), writes the verdicts into run.json atomically, and
// renders report.html, summary.md and junit.xml next to it. The Outcome's
// ExitCode is what `loadgate run` exits with. A missing or corrupt run file
// is an error naming the file (exit 2).
func Finish(dir string, opts Options) (results.Outcome, error) {
	o := opts.withDefaults()
	j, err := judge(dir, o)
	if err != nil {
		return results.Outcome{Verdict: results.VerdictUnknown}, err
	}
	run := j.data.Run
	run.Gates = j.outcome.Gates
	if run.Gates == nil {
		run.Gates = []results.Gate{}
	}
	if err := results.WriteJSON(filepath.Join(dir, results.RunFile), run); err != nil {
		return j.outcome, err
	}
	if err := writeOutputs(dir, j, o); err != nil {
		return j.outcome, err
	}
	return j.outcome, nil
}

// Render redraws report.html, summary.md and junit.xml of a run directory
// without touching run.json (`loadgate report RUN`).
func Render(dir string, opts Options) (results.Outcome, error) {
	o := opts.withDefaults()
	j, err := judge(dir, o)
	if err != nil {
		return results.Outcome{Verdict: results.VerdictUnknown}, err
	}
	return j.outcome, writeOutputs(dir, j, o)
}

func writeOutputs(dir string, j *judged, o Options) error {
	var html bytes.Buffer
	a, err := renderRunPage(&html, j.data, j.outcome, j.deltas, o)
	if err != nil {
		return err
	}
	if a.Note != "" {
		fmt.Fprintf(o.Stderr, "loadgate: %s: %s\n", filepath.Join(dir, results.ReportFile), a.Note)
	}
	if err := results.WriteFile(filepath.Join(dir, results.ReportFile), html.Bytes()); err != nil {
		return err
	}
	var md bytes.Buffer
	writeSummary(&md, j)
	if err := results.WriteFile(filepath.Join(dir, results.SummaryFile), md.Bytes()); err != nil {
		return err
	}
	var xml bytes.Buffer
	if err := writeJUnit(&xml, j.data.Run, j.outcome); err != nil {
		return err
	}
	return results.WriteFile(filepath.Join(dir, results.JUnitFile), xml.Bytes())
}

// Gate evaluates a run's gates (and, with Options.Baseline, the regression
// check) and prints the gate table to w; it writes nothing into the run
// directory. This is `loadgate gate RUN [--baseline RUN]
// [--max-regression p95=10%]`: exit with the Outcome's ExitCode, or 2 on an
// error (which names the missing or corrupt file).
func Gate(dir string, opts Options, w io.Writer) (results.Outcome, error) {
	o := opts.withDefaults()
	j, err := judge(dir, o)
	if err != nil {
		return results.Outcome{Verdict: results.VerdictUnknown}, err
	}
	if err := writeGateTable(w, j); err != nil {
		return j.outcome, fmt.Errorf("printing the gate table: %w", err)
	}
	return j.outcome, nil
}
