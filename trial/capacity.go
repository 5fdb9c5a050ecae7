package trial

import (
	"context"
	"fmt"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/scenarios"
	"github.com/loadgate/loadgate/trial/capacity"
)

// findCapacity runs the capacity search of sc (package trial/capacity),
// each step an ordinary run with its report, then renders the search's
// report and prints the answer. The outcome: pass when a level held, fail
// when the first level failed a gate, unknown when the first level could
// not be run or judged (its reason first).
func findCapacity(ctx context.Context, env Env, p Plan, sc *scenarios.Scenario, s steps) (record.Outcome, error) {
	set := *p.Capacity
	if p.DryRun {
		plan, err := capacity.Describe(sc, set, sc.GateExprs())
		if err != nil {
			return unknown, err
		}
		fmt.Fprintln(env.Stdout, plan)
		return record.Outcome{Verdict: record.VerdictPass}, nil
	}
	search := &capacity.Search{Scenario: sc, Settings: set, Gates: sc.GateExprs(), Root: p.root(), Log: env.Stderr,
		Step: func(ctx context.Context, step *scenarios.Scenario, dir string) (string, record.Outcome, error) {
			return runOnce(ctx, env, p, step, time.Time{}, s, dir)
		}}
	c, dir, err := search.Run(ctx)
	if err != nil {
		return unknown, err
	}
	answer := capacity.Answer(c)
	if err := report.RenderCapacity(dir, c, answer, report.Options{Stderr: env.Stderr}); err != nil {
		return unknown, err
	}
	if err := linkLatest(p.root(), dir); err != nil {
		return unknown, err
	}
	addCapacityToHistory(env, dir, c)
	fmt.Fprintf(env.Stderr, "capacity: %s/%s, report %s/report.html\n", dir, record.CapacityFile, dir)
	fmt.Fprintln(env.Stdout, answer)
	switch {
	case c.Found:
		return record.Outcome{Verdict: record.VerdictPass}, nil
	case ctx.Err() != nil:
		return record.Outcome{Verdict: record.VerdictUnknown, Reasons: []string{"interrupted before any level held"}}, nil
	case c.Steps[0].Verdict == record.VerdictFail:
		return record.Outcome{Verdict: record.VerdictFail, Reasons: []string{"the first level " + c.FormatLevel(c.Steps[0].Level) + " did not hold"}}, nil
	}
	return record.Outcome{Verdict: record.VerdictUnknown, Reasons: []string{fmt.Sprintf("the first level %s could not be evaluated: %s", c.FormatLevel(c.Steps[0].Level), capacity.WhyNot(c.Steps[0]))}}, nil
}
