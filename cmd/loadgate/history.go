package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/history"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/report"
)

// historyFlag adds --history to a command.
func historyFlag(f *cmdFlags) *string {
	return f.String("history", "", "history store: sqlite:PATH, a postgres:// URL, or off (default $"+history.EnvHistory+", else sqlite:<results root>/"+history.FileName+")")
}

// historyURL is the store a command uses: --history, else
// $LOADGATE_HISTORY, else history.db in the results root; "" when off.
func historyURL(flagValue string, e env, root string) string {
	u := flagValue
	if u == "" {
		u = e.getenv(history.EnvHistory)
	}
	if u == "" {
		u = history.DefaultURL(root)
	}
	if u == history.Off {
		return ""
	}
	return u
}

// baselineFlags choose the past runs of --baseline history.
type baselineFlags struct {
	branch *string
	runs   *int
}

func addBaselineFlags(f *cmdFlags) *baselineFlags {
	return &baselineFlags{
		branch: f.String("baseline-branch", "", "--baseline history: the runs recorded on this branch (default: those at or before the merge base of HEAD and main, else main's)"),
		runs:   f.Int("baseline-runs", history.DefaultBaselineRuns, "--baseline history: how many past runs of the same plan to compare with"),
	}
}

func (b *baselineFlags) rule() history.BaselineRule {
	return history.BaselineRule{Runs: *b.runs, Branch: *b.branch}
}

// recorder is the history the runs of a command are added to (nil: off).
func recorder(ctx context.Context, e env, url string, b *baselineFlags) *history.Recorder {
	if url == "" {
		return nil
	}
	r := &history.Recorder{URL: url, Branch: history.Branch(ctx, "", e.getenv)}
	if b != nil {
		r.Rule = b.rule()
	}
	return r
}

// closeRecorder closes the store, saying when that fails.
func closeRecorder(e env, r *history.Recorder) {
	if r == nil {
		return
	}
	if err := r.Close(); err != nil {
		fmt.Fprintf(e.stderr, "loadgate: warning: closing %s: %v\n", r.Name(), err)
	}
}

const historyAbout = "The store of past runs: every run, merge and capacity search adds its facts when it\n" +
	"ends (--history, $" + history.EnvHistory + ", default sqlite:results/" + history.FileName + ").\n\n" +
	"  import DIR…   add existing results directories (runs, merges, capacity searches,\n" +
	"                comparisons, results roots); a run already there is left as it is\n" +
	"  list          the runs, newest last (--scenario, --branch)\n" +
	"  trend         a one-file page of a scenario's runs across commits (--scenario, --out)"

// cmdHistory is `loadgate history import|list|trend`.
func cmdHistory(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		f := newFlags("history", "import|list|trend …", historyAbout)
		if err := f.parse(e, args); err != nil {
			return err
		}
		return f.argsError("history: import, list or trend")
	}
	switch args[0] {
	case "import":
		return cmdHistoryImport(ctx, e, args[1:])
	case "list":
		return cmdHistoryList(ctx, e, args[1:])
	case "trend":
		return cmdHistoryTrend(ctx, e, args[1:])
	}
	f := newFlags("history", "import|list|trend …", historyAbout)
	return f.argsError(fmt.Sprintf("history: unknown subcommand %q: import, list or trend", args[0]))
}

// openStore opens the store of a history subcommand.
func openStore(ctx context.Context, f *cmdFlags, e env, flagValue, root string, mode history.Mode) (*history.Store, error) {
	url := historyURL(flagValue, e, root)
	if url == "" {
		return nil, f.argsError("history: the store is off (--history off or $" + history.EnvHistory + "=off)")
	}
	return history.Open(ctx, url, mode)
}

func cmdHistoryImport(ctx context.Context, e env, args []string) error {
	f := newFlags("history import", "DIR…", "Adds the runs of existing results directories to the history store: run directories,\n"+
		"merged runs, capacity searches (with their steps), comparisons (their runs), and\n"+
		"directories holding them (a results root). A run already in the store is left as it\n"+
		"is, so an import may be run again. Exits 2 when a directory could not be read.")
	url := historyFlag(f)
	root := f.String("results", "results", "results root (where the default store is)")
	branch := f.String("branch", "", "the branch the runs were made on (default: unknown)")
	if err := f.parse(e, args); err != nil {
		return err
	}
	if f.NArg() == 0 {
		return f.argsError("history import: at least one results directory")
	}
	s, err := openStore(ctx, f, e, *url, *root, history.Write)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.Import(ctx, f.Args(), *branch, e.stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d added, %d already there, %d skipped (not finished), %d could not be read\n",
		s.Name(), n.Added, n.Present, n.Skipped, n.Failed)
	if n.Failed > 0 {
		return &exitCodeError{code: exitError, err: fmt.Errorf("%d directories could not be read (see above)", n.Failed)}
	}
	return nil
}

func cmdHistoryList(ctx context.Context, e env, args []string) error {
	f := newFlags("history list", "", "Lists the runs of the history store, oldest first.")
	url := historyFlag(f)
	root := f.String("results", "results", "results root (where the default store is)")
	scenario := f.String("scenario", "", "only this scenario's runs")
	branch := f.String("branch", "", "only the runs made on this branch")
	limit := f.Int("limit", 50, "the newest this many runs (0: all)")
	if err := f.parse(e, args); err != nil {
		return err
	}
	if f.NArg() != 0 {
		return f.argsError("history list: no arguments")
	}
	s, err := openStore(ctx, f, e, *url, *root, history.Read)
	if err != nil {
		return err
	}
	defer s.Close()
	runs, err := s.Runs(ctx, history.Filter{Scenario: *scenario, Branch: *branch, Limit: *limit})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED\tKIND\tSCENARIO\tBRANCH\tCOMMIT\tSTATUS\tVERDICT\tP95\tERRORS\tPLAN\tRUN")
	for _, r := range runs {
		p95 := "—"
		if l, ok := r.Run.Overall.LatencyOf(record.OK); ok {
			p95 = gate.FormatMicros(l.P95)
		}
		verdict := r.Verdict()
		if r.Note != "" {
			verdict += " (" + r.Note + ")"
		}
		cells := []string{r.Run.Started.UTC().Format("2006-01-02 15:04:05Z"), r.Kind, r.Run.Scenario, r.Branch, r.Run.Commit, r.Run.Status,
			verdict, p95, gate.Format(r.Run.Overall.ErrorRate, "ratio"), shortPlan(r.Run.PlanHash), r.Dir}
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(redact.Terminal(c), "\t", " ")
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d runs in %s\n", len(runs), s.Name())
	return nil
}

func shortPlan(h string) string {
	h = strings.TrimPrefix(h, "sha256:")
	if len(h) > 10 {
		return h[:10]
	}
	return h
}

func cmdHistoryTrend(ctx context.Context, e env, args []string) error {
	f := newFlags("history trend", "", "Writes a one-file page of a scenario's runs across commits: per endpoint, P95, P99,\n"+
		"error rate and throughput of each run of one plan in commit order, the noise band of\n"+
		"the runs a new run would be checked against (--baseline history's rule), verdicts\n"+
		"marked, each point linked to its report while its directory is there.")
	url := historyFlag(f)
	root := f.String("results", "results", "results root (where the default store is)")
	scenario := f.String("scenario", "", "the scenario (required)")
	out := f.String("out", "", "the page to write, e.g. trend.html (required)")
	plan := f.String("plan", "", "the plan hash to draw (default the plan of the scenario's newest run)")
	branch := f.String("branch", "", "only the runs made on this branch")
	assets := f.String("assets", report.AssetsInline, "inline (one file, works offline) or cdn")
	b := addBaselineFlags(f)
	if err := f.parse(e, args); err != nil {
		return err
	}
	if f.NArg() != 0 || *scenario == "" || *out == "" {
		return f.argsError("history trend: --scenario and --out, no arguments")
	}
	s, err := openStore(ctx, f, e, *url, *root, history.Read)
	if err != nil {
		return err
	}
	defer s.Close()
	t, err := s.Trend(ctx, *scenario, *plan, *branch, b.rule())
	if err != nil {
		return err
	}
	err = report.RenderTrend(*out, report.Trend{Scenario: *scenario, PlanHash: t.PlanHash, Runs: t.Runs,
		Baseline: t.Baseline, BaselineBasis: t.Basis, Notes: t.Notes}, report.Options{Assets: *assets, Stderr: e.stderr})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s (%d runs)\n", *out, len(t.Runs))
	return nil
}

// gateAgainstHistory is `loadgate gate RUN --baseline history`: the past
// runs the run is checked against, or exit 2 naming where none was found.
func gateAgainstHistory(ctx context.Context, e env, dir, url string, b *baselineFlags, opts *report.Options) error {
	if url == "" {
		return usageError(errors.New("--baseline history: the history store is off"))
	}
	run, err := record.ReadRun(dir)
	if err != nil {
		return err
	}
	s, err := history.Open(ctx, url, history.Read)
	if err != nil {
		return err
	}
	defer s.Close()
	runs, how, err := s.Baseline(ctx, run, b.rule())
	if err != nil {
		return err // ErrNoBaseline among them: exit 2
	}
	names := make([]string, len(runs))
	for i, r := range runs {
		names[i] = r.Name()
	}
	sort.Strings(names)
	fmt.Fprintf(e.stderr, "baseline: %s: %s\n", how, strings.Join(names, ", "))
	opts.Baselines, opts.BaselineBasis = runs, how
	return nil
}

// resultsRootOf is the results root a run directory is in: its parent.
func resultsRootOf(dir string) string {
	return filepath.Dir(filepath.Clean(dir))
}
