package runner

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
)

// drillLog is an Injector that records its calls and signals them.
type drillLog struct {
	mu        sync.Mutex // guards calls
	calls     []string
	injected  chan struct{}
	undone    chan struct{}
	injectErr error
}

func newDrillLog() *drillLog {
	return &drillLog{injected: make(chan struct{}, 1), undone: make(chan struct{}, 1)}
}

func (d *drillLog) Inject(context.Context) error {
	d.add("inject")
	select {
	case d.injected <- struct{}{}:
	default:
	}
	return d.injectErr
}

func (d *drillLog) Undo(context.Context) error {
	d.add("undo")
	select {
	case d.undone <- struct{}{}:
	default:
	}
	return nil
}

func (d *drillLog) add(c string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, c)
}

func (d *drillLog) got() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.calls, ",")
}

const faultLoad = `load:
  stages:
    - {duration: 3s, rate: 20/s}
requests:
  - {name: a, path: /a}
`

// TestFaultsScheduled: in a real run, a fault with a duration is injected
// at its time and undone when the duration is up, an instant one is undone
// right after it is injected; run.json and timeline.json record both
// windows. The schedule's timing is TestDrillsOnTheClock's: this run is
// short.
func TestFaultsScheduled(t *testing.T) {
	t.Parallel()
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, `load:
  stages:
    - {duration: 600ms, rate: 20/s}
requests:
  - {name: a, path: /a}
faults:
  - {name: slow, at: 100ms, for: 200ms, action: exec, run: ["true"], undo: ["true"]}
  - {name: once, at: 400ms, action: exec, run: ["true"]}
`)
	slow, once := newDrillLog(), newDrillLog()
	once.injectErr = errors.New("boom")
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()),
		WithFaults(map[string]Injector{"slow": slow, "once": once}))
	if err != nil {
		t.Fatal(err)
	}
	if slow.got() != "inject,undo" || once.got() != "inject,undo" {
		t.Errorf("calls: slow %q once %q", slow.got(), once.got())
	}
	if len(run.Faults) != 2 {
		t.Fatalf("run.json faults: %+v", run.Faults)
	}
	f := run.Faults[0]
	if f.Name != "slow" || f.StartS == nil || f.EndS == nil || *f.StartS < 0.1 || *f.EndS < 0.3 || !f.Injected || f.Error != "" {
		t.Errorf("slow fault: %+v", f)
	}
	o := run.Faults[1]
	if o.Injected || o.Error != "boom" || o.StartS == nil || *o.StartS < 0.4 || o.EndS == nil {
		t.Errorf("failed instant fault: %+v", o)
	}
	tl, err := record.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Faults) != 2 || tl.Faults[0].Name != "slow" || tl.Faults[0].EndS == nil {
		t.Errorf("timeline faults: %+v", tl.Faults)
	}
}

// TestFaultsUndoneOnInterrupt: an interrupt during a fault undoes it before
// Run returns, and a fault not yet due is never injected.
func TestFaultsUndoneOnInterrupt(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, `load:
  stages:
    - {duration: 60s, rate: 10/s}
requests:
  - {name: a, path: /a}
faults:
  - {name: long, at: 200ms, for: 50s, action: exec, run: ["true"], undo: ["true"]}
  - {name: later, at: 55s, action: exec, run: ["true"]}
`)
	long, later := newDrillLog(), newDrillLog()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-long.injected
		cancel()
	}()
	run, _, err := runWritten(ctx, sc, WithResultsRoot(t.TempDir()), WithFaults(map[string]Injector{"long": long, "later": later}))
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != record.StatusAborted {
		t.Errorf("status %s", run.Status)
	}
	if long.got() != "inject,undo" {
		t.Errorf("interrupted fault: %q, want inject,undo", long.got())
	}
	if later.got() != "" {
		t.Errorf("fault due after the end: %q, want nothing", later.got())
	}
	if run.Faults[0].EndS == nil || *run.Faults[0].EndS > 10 || run.Faults[1].StartS != nil {
		t.Errorf("faults: %+v", run.Faults)
	}
}

// TestFaultsNeedDrills: a fault without its drill is refused before the run.
func TestFaultsNeedDrills(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, faultLoad+`faults:
  - {name: x, at: 1s, action: exec, run: ["true"]}
`)
	_, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err == nil || !strings.Contains(err.Error(), "fault x has no drill") || dir != "" {
		t.Errorf("err %v dir %q", err, dir)
	}
}

// TestFaultsShareTheProgressWriter: the faults' lines and the progress lines
// go to one writer from two goroutines, which the runner serialises (a
// bytes.Buffer, as the CLI's tests give, is not safe for that; -race saw it).
func TestFaultsShareTheProgressWriter(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, faultLoad+`faults:
  - {name: slow, at: 1s, for: 500ms, action: exec, run: ["true"], undo: ["true"]}
`)
	var out bytes.Buffer
	_, _, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()),
		WithFaults(map[string]Injector{"slow": newDrillLog()}),
		WithProgress(&out), WithProgressTTY(false), WithProgressEvery(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "fault slow: exec injected") || !strings.Contains(s, "fault slow: undone") || !strings.Contains(s, " left") {
		t.Errorf("progress output lacks the fault's or the progress lines:\n%s", s)
	}
}

// TestDrillsOnTheClock: the drills run on the runner's clock: a fault at 1s
// for 2s waits for the clock's 1 s, is injected, waits 2 s more, is undone;
// an instant one at 1.5s is injected and undone when the clock says 1.5 s;
// their start and end, and the progress lines' times, are the clock's to
// the millisecond. The clock moves only when the test moves it, so this
// also fails if a drill waits on the wall clock.
func TestDrillsOnTheClock(t *testing.T) {
	t.Parallel()
	sc := scenarioFor(t, "http://127.0.0.1:1", faultLoad+`faults:
  - {name: slow, at: 1s, for: 2s, action: exec, run: ["true"], undo: ["true"]}
  - {name: once, at: 1500ms, action: exec, run: ["true"]}
`)
	origin := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	fc := newFakeClock(origin)
	slow, once := newDrillLog(), newDrillLog()
	log := &lineLog{lines: make(chan string, 8)}
	d := startDrills(fc.clock(), origin, sc.Faults, map[string]Injector{"slow": slow, "once": once}, log)
	defer d.stop()

	fc.waiting(t, 2) // both wait for their time
	if asked := fc.takeAsked(); len(asked) != 2 || min(asked[0], asked[1]) != time.Second || max(asked[0], asked[1]) != 1500*time.Millisecond {
		t.Fatalf("the drills asked the clock for %v, want 1s and 1.5s", asked)
	}
	fc.advance(999 * time.Millisecond)
	fc.waiting(t, 2)
	if slow.got() != "" {
		t.Fatalf("injected at 999ms: %q", slow.got())
	}
	fc.advance(time.Millisecond)
	log.wait(t, "fault slow: exec injected")
	fc.waiting(t, 2) // slow waits for its end, once for its time
	if asked := fc.takeAsked(); len(asked) != 1 || asked[0] != 2*time.Second {
		t.Fatalf("slow's undo waits %v, want 2s", asked)
	}
	fc.advance(500 * time.Millisecond)
	log.wait(t, "fault once: undone") // written after its end is noted
	fc.advance(1500 * time.Millisecond)
	d.stop()

	secs := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	got := d.snapshot()
	if s, o := got[0], got[1]; secs(s.StartS) != 1 || secs(s.EndS) != 3 || !s.Injected || secs(o.StartS) != 1.5 || secs(o.EndS) != 1.5 || !o.Injected {
		t.Errorf("slow %v..%v, once %v..%v; want 1..3 and 1.5..1.5", secs(s.StartS), secs(s.EndS), secs(o.StartS), secs(o.EndS))
	}
	if slow.got() != "inject,undo" || once.got() != "inject,undo" {
		t.Errorf("calls: slow %q once %q", slow.got(), once.got())
	}
	want := []string{"    1.0s  fault slow: exec injected\n", "    1.5s  fault once: exec injected\n", "    1.5s  fault once: undone\n", "    3.0s  fault slow: undone\n"}
	if got := append(log.seen, <-log.lines); !slices.Equal(got, want) {
		t.Errorf("progress lines %q, want %q", got, want)
	}
}

// lineLog is a progress writer that hands each line written to the test.
type lineLog struct {
	lines chan string
	seen  []string // the lines wait has taken, in order
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.lines <- string(p)
	return len(p), nil
}

// wait takes lines until one holds s.
func (l *lineLog) wait(t *testing.T, s string) {
	t.Helper()
	for {
		select {
		case line := <-l.lines:
			l.seen = append(l.seen, line)
			if strings.Contains(line, s) {
				return
			}
		case <-time.After(10 * time.Second): // a failsafe, not a wait
			t.Fatalf("no line %q after %q", s, l.seen)
		}
	}
}

// TestProgressEscapesWhatItQuotes: what the runner prints besides its own
// progress line may quote outside text (here a fault's error, as an exec
// drill's would quote its command's output); it is escaped for the
// terminal, while the live line's own "\r\x1b[K" reaches the terminal as
// it is, also when the CLI hands the runner its escaping stderr.
func TestProgressEscapesWhatItQuotes(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, faultLoad+`faults:
  - {name: slow, at: 1s, for: 500ms, action: exec, run: ["true"], undo: ["true"]}
`)
	drill := newDrillLog()
	drill.injectErr = errors.New("exit 1: \x1b[2J\x1b]52;c;cHduZWQ=\x07\rFORGED\u009b31m\u202e")
	for _, given := range []string{"the terminal", "an escaping writer"} {
		var out bytes.Buffer
		var w io.Writer = &out
		if given == "an escaping writer" {
			w = redact.NewTerminalWriter(&out)
		}
		_, _, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()),
			WithFaults(map[string]Injector{"slow": drill}),
			WithProgress(w), WithProgressTTY(true), WithProgressEvery(time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if want := `fault slow: exec injected (failed: exit 1: \x1b[2J\x1b]52;c;cHduZWQ=\a\rFORGED\u009b31m\u202e)`; !strings.Contains(s, want) {
			t.Errorf("given %s, the fault's line is not %q escaped:\n%q", given, want, s)
		}
		if !strings.Contains(s, "\r\x1b[K") {
			t.Errorf("given %s, the live line is not rewritten in place:\n%q", given, s)
		}
		if rest := strings.ReplaceAll(s, "\r\x1b[K", ""); strings.ContainsAny(rest, "\x1b\x07\r\u009b\u202e") {
			t.Errorf("given %s, a control character other than the live line's own reached the terminal:\n%q", given, s)
		}
	}
}

// On a terminal, a line the runner prints while its live progress line is
// shown (a fault's) clears that line first: no terminal line holds both the
// live line's text and the fault's, and the live line is drawn again below.
func TestProgressLiveLineEndsBeforeFaultLines(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, faultLoad+`faults:
  - {name: slow, at: 1s, for: 500ms, action: exec, run: ["true"], undo: ["true"]}
`)
	var out bytes.Buffer
	_, _, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()),
		WithFaults(map[string]Injector{"slow": newDrillLog()}),
		WithProgress(&out), WithProgressTTY(true), WithProgressEvery(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	faultLines := 0
	for _, line := range shownLines(out.String()) {
		if strings.Contains(line, "fault slow") {
			faultLines++
			if strings.Contains(line, " left") {
				t.Errorf("a fault's line follows the live line on one terminal line: %q\n%q", line, out.String())
			}
		}
	}
	if faultLines != 2 {
		t.Errorf("%d fault lines shown, want 2 (injected, undone):\n%q", faultLines, out.String())
	}
}

// shownLines is what a terminal shows of out, line by line: "\r\x1b[K"
// returns to the line's start and clears it.
func shownLines(out string) []string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if j := strings.LastIndex(l, "\r\x1b[K"); j >= 0 {
			lines[i] = l[j+len("\r\x1b[K"):]
		}
	}
	return lines
}
