package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// Comparison is several runs compared with the first (the baseline).
type Comparison struct {
	Labels []string
	// Words are the plain-words P95 deltas of each later run against the
	// first, per endpoint and for the whole run: "search P95 −87 %: 2.1 s →
	// 270 ms", or "no significant change" within noise.
	Words []string
	// Deltas are the same, as numbers.
	Deltas []Delta
	// Headline is the before/after table: P95, average response, error
	// rate, the runs' headline series (the built-ins' cache hit rate and DB
	// query P95) and achieved rate of each run, with the change of each
	// later run against the first.
	Headline []HeadlineRow
}

// Compare renders one comparison report of runs dirs (the first is the
// baseline the others are measured against) into directory out:
// report.html (overlaid percentile distributions and latency over time,
// side-by-side tables per endpoint and per gate with absolute and percent
// change, a plain-words line per endpoint) and summary.md. This is
// `loadgate report RUN_A RUN_B …`. Labels come from Options.Labels, else
// the run directories' names.
func Compare(dirs []string, out string, opts Options) (*Comparison, error) {
	o := opts.withDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	if len(dirs) < 2 {
		return nil, fmt.Errorf("compare: give at least two runs, got %d", len(dirs))
	}
	if len(o.Labels) > 0 && len(o.Labels) != len(dirs) {
		return nil, fmt.Errorf("compare: %d labels for %d runs", len(o.Labels), len(dirs))
	}
	runs := make([]*runData, len(dirs))
	for i, d := range dirs {
		r, err := loadRun(d)
		if err != nil {
			return nil, fmt.Errorf("compare: %w", err)
		}
		runs[i] = r
	}
	labels := o.Labels
	if len(labels) == 0 {
		labels = runLabels(dirs)
	}
	plain := make([]*record.Run, len(runs))
	for i, r := range runs {
		plain[i] = r.Run
	}
	c := &Comparison{Labels: labels, Headline: headlineRows(plain)}
	base := runs[0]
	for i, r := range runs[1:] {
		for _, ep := range append([]string{""}, commonEndpoints(base.Run, r.Run)...) {
			d, err := compareSeries(sideOf(base), sideOf(r), ep, "p95", o.Alpha)
			prefix := ""
			if len(runs) > 2 {
				prefix = labels[i+1] + ": "
			}
			if errors.Is(err, errFewSamples) {
				w := d.UntestedWords()
				if ep == "" {
					w = "all endpoints " + w
				}
				c.Words = append(c.Words, prefix+w)
				continue
			}
			if err != nil {
				c.Words = append(c.Words, fmt.Sprintf("%s%s: %v", prefix, seriesName(ep), err))
				continue
			}
			c.Deltas = append(c.Deltas, d)
			w := d.Words()
			if ep == "" {
				w = "all endpoints " + w
			}
			c.Words = append(c.Words, prefix+w)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	exprs := base.Run.Plan.Gates // the gates the first run was judged by
	if base.Run.Judged != nil {
		exprs = base.Run.Judged.Gates
	}
	if o.Gates != nil {
		exprs = o.Gates
	}
	var html bytes.Buffer
	a, err := renderComparePage(&html, runs, labels, c, exprs, out, o)
	if err != nil {
		return nil, err
	}
	if a.Note != "" {
		fmt.Fprintf(o.Stderr, "loadgate: %s: %s\n", filepath.Join(out, record.ReportFile), a.Note)
	}
	if err := record.WriteFile(filepath.Join(out, record.ReportFile), html.Bytes()); err != nil {
		return nil, err
	}
	var md bytes.Buffer
	writeCompareSummary(&md, runs, labels, c, exprs, o.Alpha)
	if err := record.WriteFile(filepath.Join(out, record.SummaryFile), md.Bytes()); err != nil {
		return nil, err
	}
	if err := record.WriteJSON(filepath.Join(out, record.ComparisonFile), comparisonRecord(dirs, labels, out)); err != nil {
		return nil, err
	}
	return c, nil
}

// comparisonRecord is comparison.json: the runs compared, each relative to
// the comparison's directory when inside it, else absolute, so that it
// reads the same from any working directory.
func comparisonRecord(dirs, labels []string, out string) *record.Comparison {
	c := &record.Comparison{Schema: record.Schema, Labels: labels}
	absOut, _ := filepath.Abs(out)
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			c.Runs = append(c.Runs, d)
			continue
		}
		if rel, err := filepath.Rel(absOut, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			c.Runs = append(c.Runs, rel)
			continue
		}
		c.Runs = append(c.Runs, abs)
	}
	return c
}

// runLabels names runs by directory, with the parent when names repeat.
func runLabels(dirs []string) []string {
	labels := make([]string, len(dirs))
	seen := map[string]int{}
	for i, d := range dirs {
		labels[i] = filepath.Base(filepath.Clean(d))
		seen[labels[i]]++
	}
	for i, d := range dirs {
		if seen[labels[i]] > 1 {
			labels[i] = filepath.Join(filepath.Base(filepath.Dir(filepath.Clean(d))), labels[i])
		}
	}
	return labels
}

// changeCell says a value and its change against the baseline's: "3.49 ms
// (−21.8 s, 6,200× faster)", "0.4 % (−2.1 pp)" for ratios; a latency at
// its run's request timeout (timeout, 0: none) reads "≥ 30 s, timeout".
func changeCell(base, v float64, unit string, first bool, timeout time.Duration) string {
	s := gate.Format(v, unit)
	if unit == "us" {
		s = latencyWords(v, timeout)
	}
	switch {
	case first:
		return s
	case v == base:
		return s + " (no change)"
	case unit == "ratio":
		return s + " (" + ppWords(base, v) + ")"
	case base == 0:
		return s
	}
	return fmt.Sprintf("%s (%s, %s)", s, signed(v-base, unit), changeWords(base, v, unit))
}

func signed(d float64, unit string) string {
	if d >= 0 {
		return "+" + gate.Format(d, unit)
	}
	return "−" + gate.Format(-d, unit)
}

// compareRow is one line of a side-by-side table.
type compareRow struct {
	Name  string
	Cells []string
}

type comparePage struct {
	Title          string
	Verdicts       []verdictPart
	Load           []string
	Links          []runLink
	Labels         []string
	HeadlineHeader []string
	Headline       []HeadlineRow
	Words          []string
	Endpoints      []compareRow
	Gates          []compareRow
	Facts          []compareRow
	// First is the P95 over time, beside the before-and-after table on
	// the first screen; Charts the others, after the tables.
	First          chartBlock
	Charts         []chartBlock
	Notes          []string
	Assets         assets
	EChartsVersion string
}

func endpointCompareRows(runs []*runData) []compareRow {
	var rows []compareRow
	for _, ep := range append(endpointNames(runs[0].Run), "") {
		stat := func(r *runData) (record.Stats, bool) {
			if ep == "" {
				return r.Run.Overall, true
			}
			s, ok := r.Run.Endpoints[ep]
			return s, ok
		}
		name := ep
		if ep == "" {
			name = "all"
		}
		b, _ := stat(runs[0])
		for _, m := range []struct {
			label string
			unit  string
			f     func(record.Stats) float64
		}{
			// Latencies of the successful requests, as the gates read them.
			{"P50", "us", func(s record.Stats) float64 { l, _ := s.LatencyOf(record.OK); return l.P50 }},
			{"P95", "us", func(s record.Stats) float64 { l, _ := s.LatencyOf(record.OK); return l.P95 }},
			{"P99", "us", func(s record.Stats) float64 { l, _ := s.LatencyOf(record.OK); return l.P99 }},
			{"error rate", "ratio", func(s record.Stats) float64 { return s.ErrorRate }},
			{"rate", "rps", func(s record.Stats) float64 { return s.Rate.Achieved }},
		} {
			row := compareRow{Name: name + " " + m.label}
			for i, r := range runs {
				s, ok := stat(r)
				if !ok {
					row.Cells = append(row.Cells, "—")
					continue
				}
				timeout := time.Duration(0)
				if m.unit == "us" {
					timeout = r.Run.Plan.Timeout
				}
				row.Cells = append(row.Cells, changeCell(m.f(b), m.f(s), m.unit, i == 0, timeout))
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// gateTimeout is the request timeout that caps the value of a gate on a
// request latency; 0 for any other gate.
func gateTimeout(g record.Gate, run *record.Run) time.Duration {
	if p, err := gate.Parse(g.Expr); err == nil && g.Unit == "us" && p.Population != "" {
		return run.Plan.Timeout
	}
	return 0
}

func gateCompareRows(runs []*runData, exprs []string) []compareRow {
	per := make([][]record.Gate, len(runs))
	for i, r := range runs {
		per[i] = judgeGates(r, exprs, nil)
	}
	var rows []compareRow
	for k, e := range exprs {
		row := compareRow{Name: e}
		var base *float64
		for i := range runs {
			g := per[i][k]
			if i == 0 {
				base = g.Value
			}
			cell := g.Verdict
			if g.Value != nil {
				if base != nil {
					cell = changeCell(*base, *g.Value, g.Unit, i == 0, gateTimeout(g, runs[i].Run)) + " · " + g.Verdict
				} else {
					cell = gate.Format(*g.Value, g.Unit) + " · " + g.Verdict
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		rows = append(rows, row)
	}
	return rows
}

func factCompareRows(runs []*runData) []compareRow {
	rows := []compareRow{{Name: "scenario"}, {Name: "profile"}, {Name: "started"}, {Name: "commit"}, {Name: "status"}, {Name: "requests"}, {Name: "rate"}}
	load := false
	for _, r := range runs {
		rows[0].Cells = append(rows[0].Cells, r.Run.Scenario)
		rows[1].Cells = append(rows[1].Cells, r.Run.Profile)
		rows[2].Cells = append(rows[2].Cells, r.Run.Started.UTC().Format("2006-01-02 15:04:05Z"))
		rows[3].Cells = append(rows[3].Cells, r.Run.Commit)
		rows[4].Cells = append(rows[4].Cells, r.Run.Status)
		rows[5].Cells = append(rows[5].Cells, fmt.Sprint(r.Run.Overall.Requests))
		rows[6].Cells = append(rows[6].Cells, rateWords(r.Run))
		load = load || r.Run.Generator != nil
	}
	if !load {
		return rows
	}
	// The plan's load and what became of it, where the runs recorded it.
	extra := []compareRow{{Name: "planned"}, {Name: "sent"}, {Name: "completed"}, {Name: "in flight at the end"}}
	for _, r := range runs {
		g := r.Run.Generator
		if g == nil {
			for k := range extra {
				extra[k].Cells = append(extra[k].Cells, "—")
			}
			continue
		}
		for k, v := range []int64{g.Planned, g.Sent, g.Completed, g.InFlightAtEnd()} {
			extra[k].Cells = append(extra[k].Cells, fmt.Sprint(v))
		}
	}
	return append(rows, extra...)
}

// compareCharts overlays the runs' percentile distributions and P95 over
// time (each run from the start of its measured window).
func compareCharts(runs []*runData, labels []string, maxPoints int) []chartBlock {
	// Log value axes: a run 100× faster than another still shows.
	dist := lineSpec{ID: ChartDistribution, Title: "Latency by percentile, successful requests", XName: "percentile", YName: "ms (log)", LogX: true, LogY: true,
		XLabels: xLabelsPercentile}
	over := lineSpec{ID: ChartLatency, Title: "P95 of successful requests over time", XName: "seconds into the measured window", YName: "ms (log)", LogY: true,
		End: longestWindow(runs)}
	for i, r := range runs {
		// The successful requests, as the gates read them; the measured
		// window starts with the log's first interval.
		ok := r.seriesOf("", record.OK)
		if ok == nil || ok.Total == nil || ok.Total.TotalCount() == 0 {
			continue
		}
		dist.Lines = append(dist.Lines, line{Name: labels[i], Points: percentilePoints(ok.Total)})
		ivs := downsampleIntervals(ok.Intervals, maxPoints)
		start := r.Series[""].Intervals[0].T
		pts := make([]xy, 0, len(ivs))
		for _, iv := range ivs {
			if iv.Count > 0 && !afterWindow(r.Run, iv.T-start, over.End) {
				pts = append(pts, xy{iv.T - start, iv.P95 / 1000})
			}
		}
		over.Lines = append(over.Lines, line{Name: labels[i] + " P95", Points: pts})
	}
	if len(dist.Lines) == 0 {
		return []chartBlock{
			{ID: ChartDistribution, Title: dist.Title, Missing: "no run has a latency log of successful requests"},
			{ID: ChartLatency, Title: over.Title, Missing: "no run has a latency log of successful requests"},
		}
	}
	return []chartBlock{dist.render(), over.render()}
}

// allCompareCharts are the comparison's charts in page order: P95 per
// endpoint, the distributions, P95 over time, then throughput, errors and
// requests in flight of every run over time.
func allCompareCharts(runs []*runData, labels []string, maxPoints int) []chartBlock {
	lat := compareCharts(runs, labels, maxPoints)
	return []chartBlock{
		p95EndpointsChart(runs, labels),
		lat[0], lat[1],
		timelineCompareChart(runs, labels, ChartThroughput, "Throughput: completed requests per second", "requests/s",
			func(p record.Point) float64 { return p.AchievedRate }, maxPoints),
		compareErrorsChart(runs, labels, maxPoints),
		timelineCompareChart(runs, labels, ChartInFlight, "Requests in flight", "requests",
			func(p record.Point) float64 { return float64(p.InFlight) }, maxPoints),
	}
}

// verdictPart is one run's verdict in the comparison's verdict line.
type verdictPart struct {
	Words, Class string
}

// compareVerdicts says each run's verdict by the comparison's gates, for
// the line "baseline FAILS 3 of 3 gates → optimized PASSES 3 of 3".
func compareVerdicts(runs []*runData, labels []string, exprs []string) []verdictPart {
	parts := make([]verdictPart, len(runs))
	for i, r := range runs {
		gates := judgeGates(r, exprs, nil)
		out := decide(r.Run, gates)
		n, failed, unknown := len(gates), 0, 0
		for _, g := range gates {
			switch g.Verdict {
			case record.VerdictFail:
				failed++
			case record.VerdictUnknown:
				unknown++
			}
		}
		of := fmt.Sprintf(" of %d", n)
		if i == 0 && n == 1 {
			of += " gate"
		} else if i == 0 {
			of += " gates"
		}
		w := labels[i] + " "
		switch {
		case out.Incomplete:
			w += "is INCOMPLETE"
		case out.Verdict == record.VerdictFail && failed > 0:
			w += fmt.Sprintf("FAILS %d", failed) + of
		case out.Verdict == record.VerdictFail && out.FailedBy != "":
			w += "FAILS (" + out.FailedBy + ")"
		case out.Verdict == record.VerdictFail:
			w += "FAILS (" + out.Reasons[len(out.Reasons)-1] + ")"
		case out.NotAsPlanned != "":
			w += "is INCONCLUSIVE (" + out.NotAsPlanned + ")"
		case out.Inconclusive != "":
			w += "is INCONCLUSIVE (the generator could not keep the plan)"
		case out.Verdict == record.VerdictUnknown:
			w += fmt.Sprintf("is UNKNOWN: %d", unknown) + of + " could not be evaluated"
		case n == 0:
			w += "PASSES (no gates)"
		default:
			w += fmt.Sprintf("PASSES %d", n) + of
		}
		parts[i] = verdictPart{Words: w, Class: out.Verdict}
	}
	return parts
}

// loadNotes say which runs did not complete their planned load: planned,
// sent, completed and in flight at the end.
func loadNotes(runs []*runData, labels []string) []string {
	var notes []string
	for i, r := range runs {
		g := r.Run.Generator
		if g == nil || (g.Sent >= g.Planned && g.InFlightAtEnd() == 0) {
			continue
		}
		notes = append(notes, fmt.Sprintf("%s did not complete its planned load: planned %d, sent %d, completed %d, %d in flight at the end",
			labels[i], g.Planned, g.Sent, g.Completed, g.InFlightAtEnd()))
	}
	return notes
}

// runLink is a link to one compared run's own report.
type runLink struct{ Label, Href string }

// runLinks point from the comparison's directory out to each run's
// report.html, relative so that the pair can move together.
func runLinks(runs []*runData, labels []string, out string) []runLink {
	links := make([]runLink, len(runs))
	for i, r := range runs {
		href := filepath.Join(r.Dir, record.ReportFile)
		if absOut, err := filepath.Abs(out); err == nil {
			if absRun, err := filepath.Abs(href); err == nil {
				if rel, err := filepath.Rel(absOut, absRun); err == nil {
					href = rel
				}
			}
		}
		links[i] = runLink{Label: labels[i], Href: filepath.ToSlash(href)}
	}
	return links
}

func renderComparePage(w io.Writer, runs []*runData, labels []string, c *Comparison, exprs []string, out string, o Options) (assets, error) {
	tpl, err := parseTemplates()
	if err != nil {
		return assets{}, fmt.Errorf("report templates: %w", err)
	}
	a := loadAssets(o)
	p := comparePage{
		Title:  "loadgate · comparison · " + strings.Join(labels, " vs "),
		Labels: labels, Words: c.Words,
		HeadlineHeader: headlineHeader(labels), Headline: c.Headline,
		Endpoints: endpointCompareRows(runs),
		Gates:     gateCompareRows(runs, exprs),
		Facts:     factCompareRows(runs),
		Charts:    allCompareCharts(runs, labels, o.MaxPoints),
		Verdicts:  compareVerdicts(runs, labels, exprs),
		Load:      loadNotes(runs, labels),
		Links:     runLinks(runs, labels, out),
		Assets:    a, EChartsVersion: EChartsVersion,
	}
	for i, b := range p.Charts {
		if b.ID == ChartLatency {
			p.First, p.Charts = b, slices.Delete(p.Charts, i, i+1)
			break
		}
	}
	if a.Note != "" {
		p.Notes = append(p.Notes, a.Note)
	}
	p.Notes = append(p.Notes, runNotes(runs, labels)...)
	for i, r := range runs {
		for _, n := range r.Notes {
			p.Notes = append(p.Notes, labels[i]+": "+n)
		}
		for _, warn := range r.Run.Warnings {
			p.Notes = append(p.Notes, labels[i]+": ⚠ "+warn)
		}
		for _, e := range r.Run.Expected {
			p.Notes = append(p.Notes, labels[i]+": ✓ "+e)
		}
	}
	if err := tpl.ExecuteTemplate(w, "compare.html.tmpl", p); err != nil {
		return a, fmt.Errorf("rendering comparison: %w", err)
	}
	return a, nil
}

func writeCompareSummary(w io.Writer, runs []*runData, labels []string, c *Comparison, exprs []string, alpha float64) {
	fmt.Fprintf(w, "## loadgate comparison: %s\n\n", mdText(strings.Join(labels, " vs ")))
	var verdict []string
	for _, v := range compareVerdicts(runs, labels, exprs) {
		verdict = append(verdict, mdText(v.Words))
	}
	fmt.Fprintf(w, "**%s**\n\n", strings.Join(verdict, " → "))
	for _, n := range loadNotes(runs, labels) {
		fmt.Fprintf(w, "> ⚠️ %s\n\n", mdText(n))
	}
	for _, line := range c.Words {
		fmt.Fprintf(w, "- %s\n", mdText(line))
	}
	fmt.Fprintln(w)
	for _, n := range runNotes(runs, labels) {
		fmt.Fprintf(w, "> ⚠️ %s\n\n", mdText(n))
	}
	hdr := headlineHeader(labels)
	mdRow(w, hdr...)
	fmt.Fprint(w, "|---|")
	for range hdr[1:] {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
	for _, r := range c.Headline {
		mdRow(w, append(append([]string{r.Metric}, r.Values...), r.Changes...)...)
	}
	fmt.Fprintln(w)
	sep := "|---|" + strings.Repeat("---:|", len(labels))
	table := func(rows []compareRow) {
		mdRow(w, append([]string{""}, labels...)...)
		fmt.Fprintln(w, sep)
		for _, r := range rows {
			mdRow(w, append([]string{r.Name}, r.Cells...)...)
		}
		fmt.Fprintln(w)
	}
	if len(exprs) > 0 {
		table(gateCompareRows(runs, exprs))
	}
	table(endpointCompareRows(runs))
	fmt.Fprintf(w, "Changes are against the first run; \"no significant change\" means a rank test over the per-second P95s found the difference within noise (α = %g).\n", alpha)
}

// runNotes warns when a run labelled baseline or optimized was made
// against a target in the other profile, and when the compared runs are not
// of one scenario (their differences then say little about the code).
func runNotes(runs []*runData, labels []string) []string {
	var notes []string
	for i, r := range runs {
		if p := r.Run.Profile; p != "" && (labels[i] == "baseline" || labels[i] == "optimized") && p != labels[i] {
			notes = append(notes, fmt.Sprintf("the run labelled %s was made against a target in the %s profile", labels[i], p))
		}
	}
	for _, r := range runs[1:] {
		if r.Run.Scenario != runs[0].Run.Scenario {
			s := "the runs are of different scenarios ("
			for i, r := range runs {
				if i > 0 {
					s += ", "
				}
				s += labels[i] + ": " + r.Run.Scenario
			}
			return append(notes, s+"): differences reflect the load as much as the code")
		}
	}
	return notes
}
