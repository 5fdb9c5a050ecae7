package runner

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/runner/results"
)

// drillLog is an Injector that records its calls and signals them.
type drillLog struct {
	mu        sync.Mutex // guards calls
	calls     []string
	injected  chan struct{}
	injectErr error
}

func newDrillLog() *drillLog { return &drillLog{injected: make(chan struct{}, 1)} }

func (d *drillLog) Inject(context.Context) error {
	d.add("inject")
	select {
	case d.injected <- struct{}{}:
	default:
	}
	return d.injectErr
}

func (d *drillLog) Undo(context.Context) error { d.add("undo"); return nil }

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

// TestFaultsScheduled: a fault with a duration is injected at its time and
// undone when the duration is up, an instant one is undone right after it
// is injected; run.json and timeline.json record both windows.
func TestFaultsScheduled(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, faultLoad+`faults:
  - {name: slow, at: 1s, for: 1s, action: exec, run: ["true"], undo: ["true"]}
  - {name: once, at: 2s, action: exec, run: ["true"]}
`)
	slow, once := newDrillLog(), newDrillLog()
	once.injectErr = errors.New("boom")
	run, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()),
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
	if f.Name != "slow" || f.StartS == nil || f.EndS == nil || *f.StartS < 1 || *f.EndS < 2 || !f.Injected || f.Error != "" {
		t.Errorf("slow fault: %+v", f)
	}
	o := run.Faults[1]
	if o.Injected || o.Error != "boom" || o.StartS == nil || *o.StartS < 2 || o.EndS == nil {
		t.Errorf("failed instant fault: %+v", o)
	}
	tl, err := results.ReadTimeline(dir)
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
	run, _, err := Run(ctx, sc, WithResultsRoot(t.TempDir()), WithFaults(map[string]Injector{"long": long, "later": later}))
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != results.StatusAborted {
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
	_, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()))
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
	_, _, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()),
		WithFaults(map[string]Injector{"slow": newDrillLog()}),
		WithProgress(&out), WithProgressTTY(false), WithProgressEvery(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "fault slow: exec injected") || !strings.Contains(s, "fault slow: undone") || !strings.Contains(s, " left") {
		t.Errorf("progress output lacks the fault's or the progress lines:\n%s", s)
	}
}
