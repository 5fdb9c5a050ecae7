package report

import (
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// flowRow is one flow of a run: its iterations and their latency, from the
// scheduled start to the last response.
type flowRow struct {
	Name                               string
	Iterations, Completed, Failed, Cut string
	Skipped, Checks                    string
	Latency                            []string // P50 P90 P95 P99 P99.9 max
}

// checkRow is one check (or extract) of a flow step and its counts.
type checkRow struct {
	Step, Check    string
	Passed, Failed string
}

// flowNames lists a run's flows as its plan has them, then any other by
// name.
func flowNames(run *record.Run) []string {
	var names []string
	for _, f := range run.Plan.Flows {
		if _, ok := run.Flows[f.Name]; ok {
			names = append(names, f.Name)
		}
	}
	for _, n := range sortedKeys(run.Flows) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

func flowRows(run *record.Run) []flowRow {
	var rows []flowRow
	for _, name := range flowNames(run) {
		f := run.Flows[name]
		it := f.Iteration
		rows = append(rows, flowRow{
			Name:       name,
			Iterations: strconv.FormatInt(it.Requests, 10),
			Completed:  strconv.FormatInt(it.Successes, 10),
			Failed:     fmt.Sprintf("%d (%s)", it.Requests-it.Successes, gate.Format(it.ErrorRate, "ratio")),
			Cut:        strconv.FormatInt(f.Cut, 10),
			Skipped:    strconv.FormatInt(f.SkippedSteps, 10),
			Checks:     checkShare(it.ChecksPassed, it.ChecksFailed),
			Latency:    latencyCells(it.LatencyOf(record.OK)),
		})
	}
	return rows
}

// checkShare formats "passed of all (percent)", or "—" without checks.
func checkShare(passed, failed int64) string {
	if passed+failed == 0 {
		return "—"
	}
	return fmt.Sprintf("%d of %d (%s)", passed, passed+failed, gate.Format(float64(passed)/float64(passed+failed), "ratio"))
}

// checkRows lists every check and extract of the flows' steps, in step
// order.
func checkRows(run *record.Run) []checkRow {
	var rows []checkRow
	for _, name := range flowNames(run) {
		for _, step := range run.Flows[name].Steps {
			s := run.Endpoints[step]
			for _, c := range sortedKeys(s.Checks) {
				n := s.Checks[c]
				failed := strconv.FormatInt(n.Failed, 10)
				if n.NotJSON > 0 {
					failed += fmt.Sprintf(" (%d not JSON)", n.NotJSON)
				}
				rows = append(rows, checkRow{Step: step, Check: c, Passed: strconv.FormatInt(n.Passed, 10), Failed: failed})
			}
			vars := make([]string, 0, len(s.ExtractFailures))
			for v := range s.ExtractFailures {
				vars = append(vars, v)
			}
			sort.Strings(vars)
			for _, v := range vars {
				rows = append(rows, checkRow{Step: step, Check: "extract " + v, Passed: "—", Failed: strconv.FormatInt(s.ExtractFailures[v], 10)})
			}
		}
	}
	return rows
}
