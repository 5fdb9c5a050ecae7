package faults

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/runner/results"
)

// writesRun is a run of the reference target's two writes (a meal log and
// a chat) and requests that are not writes.
func writesRun() *results.Run {
	return &results.Run{Schema: results.Schema,
		Plan: results.Plan{Requests: []results.RequestMix{
			{Name: "log_meal", Method: "POST", Path: "/api/v1/users/{{user}}/meals"},
			{Name: "chat", Method: "POST", Path: "/api/v1/chat"},
			{Name: "meals", Method: "GET", Path: "/api/v1/users/{{user}}/meals"}, // a read
			{Name: "memory", Method: "POST", Path: "/api/v1/users/{{user}}/memory"},
		}},
		Endpoints: map[string]results.Stats{
			"log_meal": {StatusCodes: map[string]int64{"201": 10, "503": 2}},
			"chat":     {StatusCodes: map[string]int64{"200": 5, "500": 1}},
			"meals":    {StatusCodes: map[string]int64{"200": 50}},
			"memory":   {StatusCodes: map[string]int64{"201": 7}},
		}}
}

// The writes check counts the 2xx answers to POST meal logs and chats
// against the new rows of each kind; a kind's surplus (rows committed whose
// answer was lost) does not hide another kind's loss.
func TestWrites(t *testing.T) {
	t.Parallel()
	before := rows{meals: 100, chats: 50}
	cases := []struct {
		name  string
		after rows
		want  results.Writes
	}{
		{"every write found", rows{110, 55}, results.Writes{Acknowledged: 15, Found: 15, Lost: 0}},
		{"two meals lost", rows{108, 55}, results.Writes{Acknowledged: 15, Found: 13, Lost: 2}},
		{"extra chats do not make up for lost meals", rows{108, 58}, results.Writes{Acknowledged: 15, Found: 16, Lost: 2}},
		{"more rows than answers", rows{112, 56}, results.Writes{Acknowledged: 15, Found: 18, Lost: 0}},
	}
	for _, c := range cases {
		got := writes(writesRun(), before, c.after)
		c.want.Endpoints = []string{"log_meal", "chat"}
		if got == nil || !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	run := writesRun()
	run.Plan.Requests = run.Plan.Requests[2:]
	if got := writes(run, before, before); got != nil {
		t.Errorf("a run without writes: %+v", got)
	}
}

// Finish leaves a run with a warm-up without a writes check (before
// counting anything), and says when it cannot count.
func TestWritesCheckFinish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nowhere := &WritesCheck{url: "postgres://root@127.0.0.1:1/x?connect_timeout=2"}
	dir := t.TempDir()
	run := writesRun()
	run.WarmupS = 5
	if err := results.WriteJSON(filepath.Join(dir, results.RunFile), run); err != nil {
		t.Fatal(err)
	}
	if err := nowhere.Finish(ctx, dir); err != nil {
		t.Errorf("a run with a warm-up: %v", err)
	}
	if got, err := results.ReadRun(dir); err != nil || got.Writes != nil {
		t.Errorf("a run with a warm-up got writes: %+v, %v", got, err)
	}
	run.WarmupS = 0
	if err := results.WriteJSON(filepath.Join(dir, results.RunFile), run); err != nil {
		t.Fatal(err)
	}
	if err := nowhere.Finish(ctx, dir); err == nil || !strings.Contains(err.Error(), "counting writes") {
		t.Errorf("no database: %v", err)
	}
}

// A drill that failed to inject or undo makes the check unreliable: the
// writes say which, and a warning says so in every report. A fault the run
// ended before is not a failure.
func TestWritesNameFailedDrills(t *testing.T) {
	t.Parallel()
	start := 1.0
	run := writesRun()
	run.Faults = []results.Fault{
		{FaultPlan: results.FaultPlan{Name: "restart"}, StartS: &start, Injected: true},
		{FaultPlan: results.FaultPlan{Name: "pg_down"}, StartS: &start, Injected: true, UndoError: "pg_ctl start: timeout"},
		{FaultPlan: results.FaultPlan{Name: "kill"}, StartS: &start, Error: "no such process"},
		{FaultPlan: results.FaultPlan{Name: "late"}},
	}
	record(run, rows{100, 50}, rows{110, 55})
	if w := run.Writes; w == nil || w.Lost != 0 || !reflect.DeepEqual(w.FailedDrills, []string{"pg_down", "kill"}) {
		t.Fatalf("writes: %+v", w)
	}
	want := "writes check not reliable: drill pg_down failed to undo, drill kill failed to inject"
	if len(run.Warnings) != 1 || run.Warnings[0] != want {
		t.Errorf("warnings %q, want %q", run.Warnings, want)
	}

	run = writesRun()
	run.Faults = run.Faults[:0]
	run.Faults = append(run.Faults, results.Fault{FaultPlan: results.FaultPlan{Name: "restart"}, StartS: &start, Injected: true})
	record(run, rows{100, 50}, rows{110, 55})
	if run.Writes == nil || run.Writes.FailedDrills != nil || run.Warnings != nil {
		t.Errorf("every drill went as planned: %+v, warnings %q", run.Writes, run.Warnings)
	}
}
