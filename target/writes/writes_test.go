package writes

import (
	"context"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

// writesRun is a run of the reference target's two writes (a meal log and
// a chat) and requests that are not writes.
func writesRun() *record.Run {
	return &record.Run{Schema: record.Schema,
		Plan: record.Plan{Requests: []record.RequestMix{
			{Name: "log_meal", Method: "POST", Path: "/api/v1/users/{{user}}/meals"},
			{Name: "chat", Method: "POST", Path: "/api/v1/chat"},
			{Name: "meals", Method: "GET", Path: "/api/v1/users/{{user}}/meals"}, // a read
			{Name: "memory", Method: "POST", Path: "/api/v1/users/{{user}}/memory"},
		}},
		Endpoints: map[string]record.Stats{
			"log_meal": {Successes: 10, StatusCodes: map[string]int64{"201": 10, "503": 2}},
			"chat":     {Successes: 5, StatusCodes: map[string]int64{"200": 5, "500": 1}},
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
		found int64
		lost  int64
	}{
		{"every write found", rows{110, 55}, 15, 0},
		{"two meals lost", rows{108, 55}, 13, 2},
		{"extra chats do not make up for lost meals", rows{108, 58}, 16, 2},
		{"more rows than answers", rows{112, 56}, 18, 0},
	}
	for _, c := range cases {
		run := writesRun()
		recordWrites(run, before, c.after, nil)
		want := record.Writes{Endpoints: []string{"log_meal", "chat"}, Acknowledged: 15, Found: &c.found, Lost: &c.lost}
		if got := run.Writes; got == nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, want)
		}
	}
	run := writesRun()
	run.Plan.Requests = run.Plan.Requests[2:]
	if recordWrites(run, before, before, nil); run.Writes != nil {
		t.Errorf("a run without writes: %+v", run.Writes)
	}
}

// Finish leaves a run with a warm-up without a writes check (before
// counting anything), and says when it cannot count.
func TestCheckFinish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nowhere := &Check{url: "postgres://root@127.0.0.1:1/x?connect_timeout=2"}
	run := writesRun()
	run.WarmupS = 5
	if nowhere.Finish(ctx, run); run.Writes != nil {
		t.Errorf("a run with a warm-up got writes: %+v", run.Writes)
	}
	run.WarmupS = 0
	if nowhere.Finish(ctx, run); run.Writes == nil || run.Writes.Error == "" {
		t.Fatalf("no database: writes %+v", run.Writes)
	}
}

// When the rows cannot be counted after the run (a drill's undo left
// PostgreSQL down), Finish records that the writes were not checked, and
// why, instead of failing the run before its report: no found, no lost
// (not a confident 0), an error, a warning; a failed drill is still named.
func TestCheckFinishUncounted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nowhere := &Check{url: "postgres://root:s3cr3t@127.0.0.1:1/x?connect_timeout=2", before: rows{100, 50}}
	start := 1.0
	got := writesRun()
	got.Faults = []record.Fault{{FaultPlan: record.FaultPlan{Name: "pg_down"}, StartS: &start, Injected: true, UndoError: "pg_ctl start: timeout"}}
	nowhere.Finish(ctx, got)
	w := got.Writes
	if w == nil || w.Acknowledged != 15 || w.Found != nil || w.Lost != nil ||
		!strings.Contains(w.Error, "counting writes") || !reflect.DeepEqual(w.FailedDrills, []string{"pg_down"}) {
		t.Fatalf("writes: %+v", w)
	}
	if strings.Contains(w.Error, "s3cr3t") {
		t.Errorf("the error shows the password: %s", w.Error)
	}
	want := "writes not checked: " + w.Error + " (drill pg_down failed to undo)"
	if len(got.Warnings) != 1 || got.Warnings[0] != want {
		t.Errorf("warnings %q, want %q", got.Warnings, want)
	}
}

// A drill that failed to inject or undo makes the check unreliable: the
// writes say which, and a warning says so in every report. A fault the run
// ended before is not a failure.
func TestWritesNameFailedDrills(t *testing.T) {
	t.Parallel()
	start := 1.0
	run := writesRun()
	run.Faults = []record.Fault{
		{FaultPlan: record.FaultPlan{Name: "restart"}, StartS: &start, Injected: true},
		{FaultPlan: record.FaultPlan{Name: "pg_down"}, StartS: &start, Injected: true, UndoError: "pg_ctl start: timeout"},
		{FaultPlan: record.FaultPlan{Name: "kill"}, StartS: &start, Error: "no such process"},
		{FaultPlan: record.FaultPlan{Name: "late"}},
	}
	recordWrites(run, rows{100, 50}, rows{110, 55}, nil)
	if w := run.Writes; w == nil || w.Lost == nil || *w.Lost != 0 || !reflect.DeepEqual(w.FailedDrills, []string{"pg_down", "kill"}) {
		t.Fatalf("writes: %+v", w)
	}
	want := "writes check not reliable: drill pg_down failed to undo, drill kill failed to inject"
	if len(run.Warnings) != 1 || run.Warnings[0] != want {
		t.Errorf("warnings %q, want %q", run.Warnings, want)
	}

	run = writesRun()
	run.Faults = run.Faults[:0]
	run.Faults = append(run.Faults, record.Fault{FaultPlan: record.FaultPlan{Name: "restart"}, StartS: &start, Injected: true})
	recordWrites(run, rows{100, 50}, rows{110, 55}, nil)
	if run.Writes == nil || run.Writes.FailedDrills != nil || run.Warnings != nil {
		t.Errorf("every drill went as planned: %+v, warnings %q", run.Writes, run.Warnings)
	}
}

// A database that accepts the connection and never answers holds the
// report back no longer than the check's wait: the writes are recorded as
// not checked.
func TestCheckFinishBounded(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	silent := &Check{url: "postgres://root@" + ln.Addr().String() + "/x", before: rows{1, 1}, wait: 100 * time.Millisecond}
	got := writesRun()
	done := make(chan struct{})
	go func() { silent.Finish(context.Background(), got); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second): // a failsafe, not a measure
		t.Fatal("Finish still waiting for a database that never answers")
	}
	if w := got.Writes; w == nil || w.Found != nil || !strings.Contains(w.Error, "counting writes") {
		t.Fatalf("writes: %+v", got.Writes)
	}
}

// A write is acknowledged when its request succeeded: a streamed chat cut
// after its first chunk answered 200 but never ended with [DONE], and its
// reply may not be stored. Flow steps and the OpenAI-compatible chat are
// writes too.
func TestWritesCountSuccesses(t *testing.T) {
	t.Parallel()
	run := &record.Run{Schema: record.Schema,
		Plan: record.Plan{
			Requests: []record.RequestMix{{Name: "stream", Method: "POST", Path: "/v1/chat/completions"}},
			Flows: []record.FlowMix{{Name: "f", Steps: []record.RequestMix{
				{Name: "f.meal", Method: "POST", Path: "/api/v1/users/{{user}}/meals"},
				{Name: "f.read", Method: "GET", Path: "/api/v1/users/{{user}}/meals"},
			}}},
		},
		Endpoints: map[string]record.Stats{
			"stream": {Successes: 5, StatusCodes: map[string]int64{"200": 7}}, // 2 cut mid-stream
			"f.meal": {Successes: 4, StatusCodes: map[string]int64{"201": 4}},
			"f.read": {Successes: 9, StatusCodes: map[string]int64{"200": 9}},
		}}
	recordWrites(run, rows{100, 50}, rows{104, 55}, nil)
	w := run.Writes
	if w == nil || !reflect.DeepEqual(w.Endpoints, []string{"stream", "f.meal"}) || w.Acknowledged != 9 || *w.Lost != 0 {
		t.Fatalf("writes: %+v", w)
	}
}
