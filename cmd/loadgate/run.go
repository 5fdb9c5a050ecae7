package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/report/gate"
	"github.com/loadgate/loadgate/runner"
	"github.com/loadgate/loadgate/scenarios"
)

// runFlags are the flags shared by run and scenario.
type runFlags struct {
	target   *string
	duration *time.Duration
	rate     *float64
	out      *string
	root     *string
	shard    *string
	dryRun   *bool
	gates    multiFlag
}

func addRunFlags(fs *flag.FlagSet) *runFlags {
	f := &runFlags{
		target:   fs.String("target", "", "base URL of the target (replaces target.base_url)"),
		duration: fs.Duration("duration", 0, "total duration; stages scale proportionally"),
		rate:     fs.Float64("rate", 0, "peak rate in requests/s; stages scale proportionally"),
		out:      fs.String("out", "", "exact run directory (default results/<time>-<scenario>)"),
		root:     fs.String("results", "results", "results root"),
		shard:    fs.String("shard", "", "run shard i/N: 1/N of the rate and of unique data"),
		dryRun:   fs.Bool("dry-run", false, "print the resolved plan and exit"),
	}
	fs.Var(&f.gates, "gate", "gate expression replacing the scenario's (repeatable)")
	return f
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// cmdRun runs a scenario against a target, writes the results directory,
// renders the report and exits as gate would.
func cmdRun(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	f := addRunFlags(fs)
	if err := fs.Parse(reorder(args)); err != nil {
		return usageError(err)
	}
	if fs.NArg() != 1 {
		return usageError(fmt.Errorf("usage: loadgate run [flags] SCENARIO (a built-in: %s, or a YAML file)", strings.Join(scenarios.Names(), ", ")))
	}
	return runScenario(ctx, e, fs.Arg(0), f)
}

func runScenario(ctx context.Context, e env, name string, f *runFlags) error {
	sc, err := scenarios.Resolve(name, scenarios.Options{CheckGate: func(expr string) error {
		_, err := gate.Parse(expr)
		return err
	}})
	if err != nil {
		return err
	}
	o := scenarios.Overrides{TargetURL: *f.target, Duration: *f.duration, Rate: *f.rate}
	if *f.shard != "" {
		if o.Shard, err = scenarios.ParseShard(*f.shard); err != nil {
			return usageError(err)
		}
	}
	if err := sc.Apply(o); err != nil {
		return err
	}
	for _, g := range f.gates {
		if _, err := gate.Parse(g); err != nil {
			return usageError(err)
		}
	}
	if *f.dryRun {
		fmt.Fprint(e.stdout, sc.Describe())
		return nil
	}
	opts := []runner.Option{runner.WithResultsRoot(*f.root), runner.WithProgress(e.stderr),
		runner.WithProgressTTY(isTerminal(e.stderr)), runner.WithVersion(version), runner.WithCommit(gitCommit())}
	if *f.out != "" {
		opts = append(opts, runner.WithOutDir(*f.out))
	}
	_, dir, err := runner.Run(ctx, sc, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "results: %s\n", dir)
	return finishRun(e, dir, f.gates)
}

// finishRun evaluates the gates, renders the report and maps the outcome to an error.
func finishRun(e env, dir string, gates []string) error {
	out, err := report.Finish(dir, report.Options{Gates: gates, Stderr: e.stderr})
	if err != nil {
		return err
	}
	if _, err := report.Gate(dir, report.Options{Gates: gates, Stderr: e.stderr}, e.stdout); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "report: %s/report.html\n", dir)
	return outcomeError(out)
}

func outcomeError(out report.Outcome) error {
	switch out.ExitCode() {
	case exitOK:
		return nil
	case exitGateFailed:
		return errGateFailed
	}
	return &exitCodeError{code: exitError, err: errors.New("a gate could not be evaluated (see the table)")}
}

// reorder moves flags after positional arguments to the front, so that
// "loadgate run steady --duration 15s" works as well as the flags-first form.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && !isBoolFlag(a) && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func isBoolFlag(a string) bool {
	switch strings.TrimLeft(a, "-") {
	case "dry-run", "h", "help", "keep-data", "no-throwaway":
		return true
	}
	return false
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
