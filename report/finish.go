package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
)

// judged is a run with its verdict.
type judged struct {
	data    *runData
	outcome record.Outcome
	// deltas are the plain-words P95 deltas against the baseline, if any.
	deltas []string
	// recorded is set when outcome is the run's recorded verdict.
	recorded bool
	// basis says in words what the verdict is (the run's recorded one, or
	// one made now and from what); the gate table prints it.
	basis string
	// notes are said in report.html and summary.md.
	notes []string
}

// load checks o and reads the run directory. A missing or corrupt file is
// an error that names it.
func load(dir string, o Options) (*runData, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	d, err := loadRun(dir)
	if err != nil {
		return nil, err
	}
	measureFaults(d)
	return d, nil
}

// evaluate judges d now by exprs (parsed here) or, when given, parsed: the
// same gates parsed once (judgeGates); and, with o.Baseline, a regression
// check against that run.
func evaluate(d *runData, exprs []string, parsed []gate.Gate, o Options) (*judged, error) {
	gates := judgeGates(d, exprs, parsed)
	j := &judged{data: d}
	if o.Baseline != "" {
		base, err := baseSide(o)
		switch {
		case errors.Is(err, errNoBaseline):
			gates = append(gates, unknownRegressionGates(o.MaxRegression, err)...)
		case err != nil:
			return nil, err
		default:
			gates = append(gates, regressionGates(base, sideOf(d), o.MaxRegression, o.Alpha)...)
			j.deltas = keyDeltas(base, sideOf(d), o.Alpha)
		}
	}
	j.outcome = decide(d.Run, gates)
	return j, nil
}

// recordedGates returns the gates of the run's recorded verdict: Run.Gates
// when Judged records what decided it, or when a run.json written before
// that record existed holds evaluated gates. ok is false when no verdict
// was recorded (the runner's own output, a killed run's checkpoint). A
// record that does not match the gate results beside it is an error naming
// run.json.
func recordedGates(d *runData) (gates []record.Gate, ok bool, err error) {
	run := d.Run
	if run.Judged == nil {
		return run.Gates, len(run.Gates) > 0, nil
	}
	bad := len(run.Gates) < len(run.Judged.Gates)
	for i := 0; !bad && i < len(run.Judged.Gates); i++ {
		bad = run.Gates[i].Expr != run.Judged.Gates[i]
	}
	if bad {
		return nil, false, fmt.Errorf("%s is inconsistent: its verdict was judged by the gates %q, but it holds the results of %d other gates",
			filepath.Join(d.Dir, record.RunFile), run.Judged.Gates, len(run.Gates))
	}
	return run.Gates, true, nil
}

// recordedVerdict is the run's recorded verdict, with the plain-words
// deltas against its baseline when that run can still be read. A run
// with no recorded verdict is judged by its scenario's gates, and says so.
func recordedVerdict(d *runData, o Options) (*judged, error) {
	gates, ok, err := recordedGates(d)
	if err != nil {
		return nil, err
	}
	if !ok {
		j, err := evaluate(d, d.Run.Plan.Gates, nil, Options{Alpha: o.Alpha})
		if err != nil {
			return nil, err
		}
		j.basis = "no recorded verdict: the scenario's gates, evaluated now"
		j.notes = append(j.notes, "This run has no recorded verdict: it is judged here by its scenario's gates.")
		return j, nil
	}
	j := &judged{data: d, outcome: decide(d.Run, gates), recorded: true, basis: "the run's recorded verdict"}
	jm := d.Run.Judged
	if jm == nil {
		return j, nil
	}
	if jm.Source == record.GatesOverride {
		j.basis += " (gates given in place of the scenario's)"
	} else {
		j.basis += " (the scenario's gates)"
	}
	if jm.Baseline == BaselineHistory {
		what := "no past run (" + jm.BaselineBasis + ")"
		if len(jm.BaselineRuns) > 0 {
			what = jm.BaselineBasis + ": " + strings.Join(jm.BaselineRuns, ", ")
		}
		j.notes = append(j.notes, "Checked for regressions against history, "+what+".")
		return j, nil
	}
	if jm.Baseline != "" {
		base, err := loadRun(jm.Baseline)
		if err != nil {
			j.notes = append(j.notes, fmt.Sprintf("The baseline this run was checked against cannot be read now (%v): its regression gates stand as recorded.", err))
		} else {
			j.deltas = keyDeltas(sideOf(base), sideOf(d), o.Alpha)
		}
	}
	return j, nil
}

// keyDeltas says the P95 change of the whole run and of each endpoint both
// runs have, in plain words.
func keyDeltas(base, cur side, alpha float64) []string {
	var out []string
	for _, ep := range append([]string{""}, commonSideEndpoints(base, cur)...) {
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

func commonEndpoints(a, b *record.Run) []string {
	var out []string
	for _, n := range endpointNames(a) {
		if _, ok := b.Endpoints[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// Judge evaluates the gates of a run its owner holds in memory (package
// trial: run.json's content, the timeline), whose directory dir holds its
// interval logs: the scenario's gates, or Options.Gates in their place, and
// with Options.Baseline the regression check. It measures each fault that
// happened (Fault.Measured) and records the evaluated gates and the
// verdict in run (Gates and Judged); it writes nothing. The owner then
// writes run.json, and Render draws the reports from it. The Outcome's
// ExitCode is what `loadgate run` exits with.
func Judge(dir string, run *record.Run, tl *record.Timeline, opts Options) (record.Outcome, error) {
	o := opts.withDefaults()
	if err := o.check(); err != nil {
		return record.Outcome{Verdict: record.VerdictUnknown}, err
	}
	d, err := loadWith(dir, run, tl)
	if err != nil {
		return record.Outcome{Verdict: record.VerdictUnknown}, err
	}
	measureFaults(d)
	exprs, source := run.Plan.Gates, record.GatesFromScenario
	if o.Gates != nil {
		exprs, source = o.Gates, record.GatesOverride
	}
	if o.Parsed != nil && !sameExprs(o.Parsed, exprs) {
		return record.Outcome{Verdict: record.VerdictUnknown}, fmt.Errorf("report: the parsed gates handed to Judge are not the gates %q the run is judged by", exprs)
	}
	j, err := evaluate(d, exprs, o.Parsed, o)
	if err != nil {
		return record.Outcome{Verdict: record.VerdictUnknown}, err
	}
	run.Gates = j.outcome.Gates
	if run.Gates == nil {
		run.Gates = []record.Gate{}
	}
	run.Judged = &record.Judgement{Gates: append([]string{}, exprs...), Source: source, Verdict: j.outcome.Verdict}
	if o.Baseline != "" {
		run.Judged.Baseline, run.Judged.MaxRegression = o.Baseline, o.MaxRegression
	}
	if o.Baseline == BaselineHistory {
		run.Judged.BaselineBasis = o.BaselineBasis
		for _, p := range o.Baselines {
			run.Judged.BaselineRuns = append(run.Judged.BaselineRuns, p.Name())
		}
	}
	return j.outcome, nil
}

// sameExprs reports whether gates are exprs, parsed.
func sameExprs(gates []gate.Gate, exprs []string) bool {
	if len(gates) != len(exprs) {
		return false
	}
	for i, g := range gates {
		if g.Expr != strings.TrimSpace(exprs[i]) {
			return false
		}
	}
	return true
}

// Render redraws report.html, summary.md and junit.xml of a run directory
// with its recorded verdict, without touching run.json (`loadgate report
// RUN`). A run with no recorded verdict is drawn judged by its scenario's
// gates, and says so. Options.Gates and Options.Baseline are refused: other
// gates are Gate's, which writes nothing.
func Render(dir string, opts Options) (record.Outcome, error) {
	o := opts.withDefaults()
	if o.Gates != nil || o.Baseline != "" || o.Baselines != nil {
		return record.Outcome{Verdict: record.VerdictUnknown}, errors.New("a report is drawn with the run's recorded verdict only; other gates or a baseline check are evaluated by gate (loadgate gate RUN --gate … --baseline …), which rewrites nothing")
	}
	d, err := load(dir, o)
	if err != nil {
		return record.Outcome{Verdict: record.VerdictUnknown}, err
	}
	j, err := recordedVerdict(d, o)
	if err != nil {
		return record.Outcome{Verdict: record.VerdictUnknown}, err
	}
	return j.outcome, writeOutputs(dir, j, o)
}

func writeOutputs(dir string, j *judged, o Options) error {
	var html bytes.Buffer
	a, err := renderRunPage(&html, j.data, j.outcome, j.deltas, j.notes, o)
	if err != nil {
		return err
	}
	if a.Note != "" {
		fmt.Fprintf(o.Stderr, "loadgate: %s: %s\n", filepath.Join(dir, record.ReportFile), a.Note)
	}
	if err := record.WriteFile(filepath.Join(dir, record.ReportFile), html.Bytes()); err != nil {
		return err
	}
	var md bytes.Buffer
	writeSummary(&md, j)
	if err := record.WriteFile(filepath.Join(dir, record.SummaryFile), md.Bytes()); err != nil {
		return err
	}
	var xml bytes.Buffer
	if err := writeJUnit(&xml, j.data.Run, j.outcome); err != nil {
		return err
	}
	return record.WriteFile(filepath.Join(dir, record.JUnitFile), xml.Bytes())
}

// Gate prints a run's gate table to w and writes nothing into the run
// directory. This is `loadgate gate RUN [--gate EXPR…] [--baseline RUN]
// [--max-regression p95=10%]`: exit with the Outcome's ExitCode, or 2 on an
// error (which names the missing or corrupt file).
//
// Without Options.Gates or Options.Baseline it is the run's recorded
// verdict (Finish's). With Options.Gates those gates are evaluated in
// place of the recorded ones, and with Options.Baseline a regression check
// is added: the table then says it is not the run's recorded verdict, and
// what that verdict is.
//
// A comparison's directory (comparison.json) is judged by its last run,
// and a capacity search's (capacity.json) by its answer; the table says
// which run or search it judges.
func Gate(dir string, opts Options, w io.Writer) (record.Outcome, error) {
	o := opts.withDefaults()
	if _, err := os.Stat(filepath.Join(dir, record.RunFile)); errors.Is(err, os.ErrNotExist) {
		if c, err := record.ReadComparison(dir); err == nil && len(c.Runs) > 0 {
			last := len(c.Runs) - 1
			run := c.RunDir(dir, last)
			label := ""
			if last < len(c.Labels) {
				label = c.Labels[last] + ", "
			}
			fmt.Fprintf(w, "comparison %s: judging its last run (%sthe one compare exits by): %s\n", redact.Terminal(dir), redact.Terminal(label), redact.Terminal(run))
			return Gate(run, opts, w)
		}
		if c, err := record.ReadCapacity(dir); err == nil {
			return gateCapacity(dir, c, w)
		}
	}
	d, err := load(dir, o)
	if err != nil {
		return record.Outcome{Verdict: record.VerdictUnknown}, err
	}
	rec, err := recordedVerdict(d, o)
	if err != nil {
		return record.Outcome{Verdict: record.VerdictUnknown}, err
	}
	j := rec
	switch {
	case o.Gates != nil:
		if j, err = evaluate(d, o.Gates, nil, o); err != nil {
			return record.Outcome{Verdict: record.VerdictUnknown}, err
		}
		j.basis = "ad-hoc gates, not the run's recorded verdict (" + recordedWords(rec) + ")"
	case o.Baseline != "":
		base, err := baseSide(o)
		if err != nil {
			return record.Outcome{Verdict: record.VerdictUnknown}, err
		}
		gates := rec.outcome.Gates
		if jm := d.Run.Judged; rec.recorded && jm != nil {
			gates = gates[:len(jm.Gates)] // without the regression gates of the recorded baseline
		}
		gates = append(gates[:len(gates):len(gates)], regressionGates(base, sideOf(d), o.MaxRegression, o.Alpha)...)
		j = &judged{data: d, outcome: decide(d.Run, gates), deltas: keyDeltas(base, sideOf(d), o.Alpha),
			basis: "the run's gates and a regression check against " + baselineWords(o) + ", not the run's recorded verdict (" + recordedWords(rec) + ")"}
	}
	if err := writeGateTable(w, j); err != nil {
		return j.outcome, fmt.Errorf("printing the gate table: %w", err)
	}
	return j.outcome, nil
}

// recordedWords says what the run's recorded verdict is, for a table of
// other gates.
func recordedWords(rec *judged) string {
	if !rec.recorded {
		return "the run has no recorded verdict"
	}
	return "recorded: " + rec.outcome.Headline()
}

// gateCapacity prints a capacity search's steps and judges the search by
// its answer: pass when a level held every gate, fail when the first level
// failed one, unknown otherwise (the first level could not be judged, or
// the search was interrupted before any level held).
func gateCapacity(dir string, c *record.Capacity, w io.Writer) (record.Outcome, error) {
	fmt.Fprintf(w, "capacity search %s · %s · %d steps\n\n", redact.Terminal(c.Scenario), redact.Terminal(dir), len(c.Steps))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LEVEL\tP95\tERROR RATE\tVERDICT")
	for _, st := range c.Steps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.FormatLevel(st.Level), record.FormatMicros(st.P95US), record.Format(st.ErrorRate, "ratio"), strings.ToUpper(st.Verdict))
	}
	if err := tw.Flush(); err != nil {
		return record.Outcome{Verdict: record.VerdictUnknown}, err
	}
	out := record.Outcome{Verdict: record.VerdictUnknown}
	switch {
	case c.Found:
		out.Verdict = record.VerdictPass
		fmt.Fprintf(w, "\nPASS — capacity %s, the last level every gate held\n", c.FormatLevel(c.Capacity))
		return out, nil
	case len(c.Steps) > 0 && c.Steps[0].Verdict == record.VerdictFail:
		out.Verdict = record.VerdictFail
		out.Reasons = []string{"the first level " + c.FormatLevel(c.Steps[0].Level) + " did not hold"}
	default:
		out.Reasons = []string{"no level held: " + c.Stopped}
	}
	fmt.Fprintf(w, "\n%s — %s\n", strings.ToUpper(out.Verdict), redact.Terminal(out.Reasons[0]))
	return out, nil
}

// BaselineHistory is Options.Baseline for a check against past runs of a
// history store (Options.Baselines) instead of a run directory.
const BaselineHistory = "history"

// errNoBaseline is the error of a check against history with no past run.
var errNoBaseline = errors.New("no baseline in history")

// baseSide is the baseline of a regression check: the run directory
// Options.Baseline, or the past runs Options.Baselines.
func baseSide(o Options) (side, error) {
	if o.Baseline != BaselineHistory {
		base, err := loadRun(o.Baseline)
		if err != nil {
			return side{}, fmt.Errorf("baseline: %w", err)
		}
		return sideOf(base), nil
	}
	if len(o.Baselines) == 0 {
		return side{}, fmt.Errorf("%w: %s", errNoBaseline, o.BaselineBasis)
	}
	return sideOfPast(baselineWords(o), o.Baselines), nil
}

// baselineWords names the baseline of a check: the directory, or the past
// runs and how they were chosen.
func baselineWords(o Options) string {
	if o.Baseline != BaselineHistory {
		return o.Baseline
	}
	names := make([]string, len(o.Baselines))
	for i, p := range o.Baselines {
		names[i] = p.Name()
	}
	return o.BaselineBasis + " (" + strings.Join(names, ", ") + ")"
}

// unknownRegressionGates are the regression gates of a check that had
// nothing to compare with: unknown, saying why.
func unknownRegressionGates(limits map[string]float64, why error) []record.Gate {
	names := make([]string, 0, len(limits))
	for n := range limits {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]record.Gate, 0, len(names))
	for _, name := range names {
		limit := limits[name]
		out = append(out, record.Gate{Expr: regressionExpr(name, limit), Threshold: limit, Unit: "ratio",
			Verdict: record.VerdictUnknown, Message: why.Error()})
	}
	return out
}
