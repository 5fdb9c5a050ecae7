package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// parseTemplates parses the page templates; they are embedded, so an error
// is a bug caught by every test.
func parseTemplates() (*template.Template, error) {
	return template.ParseFS(templateFS, "templates/*.tmpl")
}

// gateRow is one row of a gate table, formatted.
type gateRow struct {
	Expr, Value, Threshold, Margin, Verdict, Message string
}

// fact is one line of the run facts.
type fact struct{ Name, Value string }

// endpointRow is one row of the endpoint tables, formatted. Latency and
// Service are of the successful requests, as latency gates read them;
// Outcomes has each population's corrected latency.
type endpointRow struct {
	Name, Requests, Rate, Errors string
	Latency, Service             []string // P50 P90 P95 P99 P99.9 max
	// Verdict is the worst verdict of the gates scoped to the endpoint
	// ("all": the unscoped ones); empty when no gate reads it.
	Verdict   string
	FailedP95 string
	Outcomes  []outcomeRow
}

// outcomeRow is the latency of one population of one series.
type outcomeRow struct {
	Population, Requests string
	Latency              []string // P50 P90 P95 P99 P99.9 max
}

type statusRow struct {
	Name  string
	Cells []string
}

// runPage is what templates/run.html.tmpl draws. Its first screen is the
// verdict, the key numbers and the latency over time (First); the tables
// and the other charts follow.
type runPage struct {
	Title, Verdict, Headline string
	// Incomplete, when set, is the banner of a run that did not finish.
	Incomplete string
	Reasons    []string
	// Top are the few notices that must be read before the numbers (an
	// aborted run, a page that needs network to draw); Warnings and Notes
	// follow the first chart, Expected (what the drills caused as planned)
	// beside them, marked as expected.
	Top, Warnings, Expected, Notes []string
	Key                            []keyNumber
	First                          chartBlock
	// OutcomeNote says how the latency-by-outcome table is laid out.
	OutcomeNote   string
	Gates         []gateRow
	Faults        []faultRow
	Recovery      string // how recovery is measured, with faults
	Deltas        []string
	Facts         []fact
	Endpoints     []endpointRow
	Flows         []flowRow
	Checks        []checkRow
	StatusColumns []string
	StatusRows    []statusRow
	Charts        []chartBlock
	// Stream is the streamed requests' section (report/stream.go); nil
	// when nothing streamed.
	Stream         *streamSection
	Plan           loadPlan
	Timing         []timingRow
	Assets         assets
	EChartsVersion string
	Version        string
}

// gateRows formats gates for tables (HTML and Markdown).
func gateRows(gates []record.Gate) []gateRow {
	rows := make([]gateRow, 0, len(gates))
	for _, g := range gates {
		r := gateRow{Expr: g.Expr, Verdict: g.Verdict, Message: g.Message, Value: "—", Threshold: gate.Format(g.Threshold, g.Unit), Margin: "—"}
		if g.Unit == "" {
			r.Threshold = "—"
		}
		if g.Value != nil {
			r.Value = gate.Format(*g.Value, g.Unit)
			r.Margin = margin(g)
		}
		rows = append(rows, r)
	}
	return rows
}

// margin says how far the value is from the threshold, on the passing side
// ("1.2 s to spare") or the failing one ("over by 20 ms").
func margin(g record.Gate) string {
	diff := g.Threshold - *g.Value
	below := true // the gate wants the value below the threshold
	if p, err := gate.Parse(g.Expr); err == nil {
		below = p.Op == gate.Less || p.Op == gate.LessEqual
	} else if !strings.Contains(g.Expr, "<") {
		below = false
	}
	if !below {
		diff = -diff
	}
	if diff == 0 {
		return "at the threshold"
	}
	amount := gate.Format(math.Abs(diff), g.Unit)
	if g.Unit == "ratio" {
		// A difference of two shares is in percentage points.
		amount = strings.TrimPrefix(ppWords(0, math.Abs(diff)), "+")
	}
	pct := ""
	if g.Threshold != 0 && g.Unit != "ratio" {
		pct = fmt.Sprintf(" (%.0f %%)", math.Abs(diff)/g.Threshold*100)
	}
	if g.Verdict == record.VerdictFail {
		if below {
			return "over by " + amount + pct
		}
		return "short by " + amount + pct
	}
	return amount + pct + " to spare"
}

func runFacts(run *record.Run) []fact {
	status := run.Status
	if status == record.StatusRunning {
		status += " (incomplete: the run did not finish)"
	}
	f := []fact{
		{"scenario", run.Scenario},
		{"status", status},
		{"target", run.Target},
	}
	if run.Profile != "" {
		f = append(f, fact{"profile", run.Profile})
	}
	f = append(f,
		fact{"started", run.Started.UTC().Format(time.RFC3339)},
		fact{"duration", fmt.Sprintf("%s (warm-up %s excluded)", run.Ended.Sub(run.Started).Round(time.Second), secondsWords(run.WarmupS))},
		fact{"model", run.Plan.Model},
		fact{"rate", rateWords(run)},
		fact{"requests", fmt.Sprintf("%d (%d succeeded)", run.Overall.Requests, run.Overall.Successes)},
	)
	if b := bytesFact(run); b != "" {
		f = append(f, fact{"data", b})
	}
	f = append(f, serverFacts(run, false)...)
	if run.Commit != "" {
		f = append(f, fact{"commit", run.Commit})
	}
	if run.Host != "" {
		f = append(f, fact{"host", run.Host})
	}
	if run.Shard != "" {
		f = append(f, fact{"shard", run.Shard})
	}
	if run.Merged != nil {
		f = append(f, fact{"shards", mergedWords(run.Merged)})
	}
	f = append(f, fact{"run", run.ID})
	if w := loadWords(run); w != "" {
		// After the requests.
		i := slices.IndexFunc(f, func(x fact) bool { return x.Name == "requests" }) + 1
		f = slices.Insert(f, i, fact{"load", w})
	}
	return f
}

// loadWords accounts for the plan's requests (open model): "planned 2500 =
// sent 2364 + never sent 136; sent 2364 = completed 2364 + in flight at the
// end 0"; "" when the run recorded no plan of requests.
func loadWords(run *record.Run) string {
	g := run.Generator
	if g == nil {
		return ""
	}
	return fmt.Sprintf("planned %d = sent %d + never sent %d; sent %d = completed %d + in flight at the end %d",
		g.Planned, g.Sent, g.Planned-g.Sent, g.Sent, g.Completed, g.InFlightAtEnd())
}

// rateWords says the achieved rate (completed requests per second of the
// measured window) with the planned one and, where it differs, the sent
// one: "achieved 48.3/s (completed), planned 48.3/s".
func rateWords(run *record.Run) string {
	r := run.Overall.Rate
	w := "achieved " + gate.Format(r.Achieved, "rps") + " (completed)"
	if run.Plan.Model == "closed" {
		return w
	}
	w += ", planned " + gate.Format(r.Target, "rps")
	if r.Sent > 0 && gate.Format(r.Sent, "rps") != gate.Format(r.Achieved, "rps") {
		w += ", sent " + gate.Format(r.Sent, "rps")
	}
	if g := run.Generator; g != nil && g.InFlightAtEnd() > 0 {
		w += fmt.Sprintf("; %d sent requests still in flight at the end", g.InFlightAtEnd())
	}
	return w
}

// latencyCells formats P50 P90 P95 P99 P99.9 max, or dashes when the
// population has no latency (ok false).
func latencyCells(l record.Latency, ok bool) []string {
	if !ok {
		return []string{"—", "—", "—", "—", "—", "—"}
	}
	return []string{gate.FormatMicros(l.P50), gate.FormatMicros(l.P90), gate.FormatMicros(l.P95), gate.FormatMicros(l.P99), gate.FormatMicros(l.P999), gate.FormatMicros(l.Max)}
}

// endpointNames lists a run's endpoints: with flows, as the plan has them
// (the requests of the mix, then each flow's steps in journey order);
// otherwise, and for any the plan does not name, by name.
func endpointNames(run *record.Run) []string {
	names := make([]string, 0, len(run.Endpoints))
	seen := map[string]bool{}
	add := func(n string) {
		if _, ok := run.Endpoints[n]; ok && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if len(run.Plan.Flows) > 0 {
		for _, r := range run.Plan.Requests {
			add(r.Name)
		}
		for _, f := range run.Plan.Flows {
			for _, st := range run.Flows[f.Name].Steps {
				add(st)
			}
			for _, st := range f.Steps {
				add(f.Name + "." + st.Name)
			}
		}
	}
	for _, n := range sortedKeys(run.Endpoints) {
		add(n)
	}
	return names
}

func endpointRows(run *record.Run) []endpointRow {
	row := func(name string, s record.Stats) endpointRow {
		r := endpointRow{
			Name: name, Requests: strconv.FormatInt(s.Requests, 10), Rate: gate.Format(s.Rate.Achieved, "rps"),
			Errors:    fmt.Sprintf("%d (%s)", s.Requests-s.Successes, gate.Format(s.ErrorRate, "ratio")),
			Latency:   latencyCells(s.LatencyOf(record.OK)),
			Service:   latencyCells(s.ServiceTimeOf(record.OK)),
			FailedP95: "—",
		}
		if l, ok := s.LatencyOf(record.Failed); ok {
			r.FailedP95 = gate.FormatMicros(l.P95)
		}
		if s.Count(record.Failed) == 0 {
			// No request failed: all of them are the successful ones.
			r.Outcomes = []outcomeRow{{Population: "all requests, none failed", Requests: strconv.FormatInt(s.Count(record.All), 10), Latency: latencyCells(s.LatencyOf(record.All))}}
			return r
		}
		for _, p := range record.Populations {
			r.Outcomes = append(r.Outcomes, outcomeRow{Population: p.Describe(), Requests: strconv.FormatInt(s.Count(p), 10), Latency: latencyCells(s.LatencyOf(p))})
		}
		return r
	}
	var rows []endpointRow
	for _, n := range endpointNames(run) {
		rows = append(rows, row(n, run.Endpoints[n]))
	}
	return append(rows, row("all", run.Overall))
}

// statusTable lays out status codes and error kinds by endpoint.
func statusTable(run *record.Run) ([]string, []statusRow) {
	cols := map[string]bool{}
	for _, s := range append([]record.Stats{run.Overall}, mapValues(run.Endpoints)...) {
		for c := range s.StatusCodes {
			cols[c] = true
		}
		for k := range s.Errors {
			cols["error: "+k] = true
		}
	}
	names := make([]string, 0, len(cols))
	for c := range cols {
		names = append(names, c)
	}
	sort.Strings(names)
	row := func(name string, s record.Stats) statusRow {
		r := statusRow{Name: name}
		for _, c := range names {
			var n int64
			if k, ok := strings.CutPrefix(c, "error: "); ok {
				n = s.Errors[k]
			} else {
				n = s.StatusCodes[c]
			}
			r.Cells = append(r.Cells, strconv.FormatInt(n, 10))
		}
		return r
	}
	var rows []statusRow
	for _, n := range endpointNames(run) {
		rows = append(rows, row(n, run.Endpoints[n]))
	}
	return names, append(rows, row("all", run.Overall))
}

func mapValues(m map[string]record.Stats) []record.Stats {
	out := make([]record.Stats, 0, len(m))
	for _, n := range sortedKeys(m) {
		out = append(out, m[n])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// renderRunPage writes report.html for one run.
func renderRunPage(w io.Writer, d *runData, out record.Outcome, deltas, notes []string, o Options) (assets, error) {
	tpl, err := parseTemplates()
	if err != nil {
		return assets{}, fmt.Errorf("report templates: %w", err)
	}
	a := loadAssets(o)
	charts := runCharts(d, o.MaxPoints)
	p := runPage{
		Title:     fmt.Sprintf("loadgate · %s · %s", d.Run.Scenario, d.Run.ID),
		Verdict:   out.Verdict,
		Headline:  out.Headline(),
		Reasons:   out.Reasons,
		Warnings:  append([]string(nil), d.Run.Warnings...),
		Expected:  append([]string(nil), d.Run.Expected...),
		Notes:     append(append([]string(nil), notes...), d.Notes...),
		Key:       keyNumbers(d.Run, out.Gates),
		First:     charts[0],
		Gates:     gateRows(out.Gates),
		Faults:    faultRows(d.Run),
		Deltas:    deltas,
		Facts:     runFacts(d.Run),
		Endpoints: endpointRows(d.Run),
		Flows:     flowRows(d.Run),
		Checks:    checkRows(d.Run),
		Charts:    charts[1:],
		Stream:    streamOf(d, o.MaxPoints),
		Assets:    a, EChartsVersion: EChartsVersion, Version: d.Run.Version,
	}
	if d.Run.Status == record.StatusAborted {
		p.Top = append(p.Top, "This run was ABORTED before its plan completed: its numbers cover only part of the load.")
	}
	if out.Incomplete {
		p.Incomplete = "This run is INCOMPLETE: " + incompleteNote(d.Run) + "."
	}
	if a.Note != "" {
		p.Top = append(p.Top, a.Note)
	}
	p.OutcomeNote = "An endpoint where no request failed has one row: all its requests are the successful ones."
	if d.Run.Overall.Count(record.Failed) == 0 {
		p.OutcomeNote = "No request failed: one row per endpoint, all its requests being the successful ones."
	}
	if len(p.Faults) > 0 {
		p.Recovery = recoveryWords(DefaultRecovery)
	}
	p.StatusColumns, p.StatusRows = statusTable(d.Run)
	p.Plan, p.Timing = planOf(d.Run), serverTimingRows(d.Run.Server.ServerTiming)
	verdicts := endpointVerdicts(out.Gates, d.Run.Plan.Series)
	for i := range p.Endpoints {
		name := p.Endpoints[i].Name
		if i == len(p.Endpoints)-1 {
			name = "" // the last row is the whole run
		}
		p.Endpoints[i].Verdict = verdicts[name]
	}
	// The page shows Server-Timing as its own breakdown.
	p.Facts = slices.DeleteFunc(p.Facts, func(f fact) bool { return f.Name == "Server-Timing split" })
	if err := tpl.ExecuteTemplate(w, "run.html.tmpl", p); err != nil {
		return a, fmt.Errorf("rendering report: %w", err)
	}
	return a, nil
}

// serverTimingFact is "db 4.2 ms · llm 1.9 s (mean per response that sent
// it: db 1200, llm 1200)", names in order, or "" when the target sent no
// Server-Timing header.
func serverTimingFact(st map[string]record.Timing) string {
	if len(st) == 0 {
		return ""
	}
	names := slices.Sorted(maps.Keys(st))
	var means, counts []string
	for _, n := range names {
		means = append(means, n+" "+gate.FormatMicros(st[n].MeanMS*1e3))
		counts = append(counts, fmt.Sprintf("%s %d", n, st[n].Count))
	}
	return strings.Join(means, " · ") + " (mean per response that sent it: " + strings.Join(counts, ", ") + ")"
}
