package capacity

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

func parse(t *testing.T, load string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse([]byte("name: s\ntarget: {base_url: http://127.0.0.1:1}\nload:\n"+load+"requests: [{name: a, path: /}]\ngates: [p95 < 100ms]\n"), "s.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

var defaults = DefaultSettings()

// TestDescribe: a dry run says the levels as the search would try them, how
// each is held and by which gates it is judged; settings that make no search
// are Levels' error.
func TestDescribe(t *testing.T) {
	t.Parallel()
	closed := parse(t, "  model: closed\n  stages: [{duration: 10s, users: 100}]\n")
	got, err := Describe(closed, defaults, []string{"p95 < 100ms", "error_rate < 1%"})
	want := "capacity search of s (closed model): levels 25, 38, 57, 86, 129, 194, 291; each held 30s after a 5s ramp, the first 5s not measured; gates: p95 < 100ms, error_rate < 1%"
	if err != nil || got != want {
		t.Errorf("Describe = %q, %v\nwant %q", got, err, want)
	}
	bad := defaults
	bad.Start, bad.Max = 10, 5
	var se *SettingsError
	if _, err := Describe(closed, bad, nil); !errors.As(err, &se) || se.Field != "max" {
		t.Errorf("max below start: %v", err)
	}
}

func TestLevels(t *testing.T) {
	t.Parallel()
	open := parse(t, "  stages: [{duration: 10s, rate: 100/s}]\n")
	closed := parse(t, "  model: closed\n  stages: [{duration: 10s, users: 100}]\n")
	with := func(f func(*Settings)) Settings { s := defaults; f(&s); return s }
	cases := []struct {
		name string
		sc   *scenarios.Scenario
		set  Settings
		want []float64
	}{
		{"open default: final/4 ×1.5 up to 4×", open, defaults, []float64{25, 37.5, 56.25, 84.375, 126.5625, 189.84375, 284.765625}},
		{"closed rounds to users", closed, defaults, []float64{25, 38, 57, 86, 129, 194, 291}},
		{"increment", closed, with(func(s *Settings) { s.Start, s.Increment, s.Max = 80, 20, 160 }), []float64{80, 100, 120, 140, 160}},
		{"closed never repeats a level", closed, with(func(s *Settings) { s.Start, s.Factor, s.Max = 1, 1.1, 4 }), []float64{1, 2, 3, 4}},
	}
	for _, c := range cases {
		_, got, err := Levels(c.sc, c.set)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, got, err, c.want)
		}
	}
	_, _, err := Levels(open, with(func(s *Settings) { s.Start, s.Max, s.Factor = 1, 1e6, 1.01 }))
	var se *SettingsError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "more than 50 steps") {
		t.Errorf("too many steps: %v", err)
	}
	_, _, err = Levels(open, with(func(s *Settings) { s.Start, s.Max = 10, 5 }))
	if !errors.As(err, &se) || se.Field != "max" {
		t.Errorf("max below start: %v", err)
	}
}

func TestCheckNamesTheField(t *testing.T) {
	t.Parallel()
	with := func(f func(*Settings)) Settings { s := defaults; f(&s); return s }
	for field, set := range map[string]Settings{
		"start":     with(func(s *Settings) { s.Start = -1 }),
		"factor":    with(func(s *Settings) { s.Factor = 1 }),
		"increment": with(func(s *Settings) { s.Increment = -2 }),
		"hold":      with(func(s *Settings) { s.Hold = 5 * time.Second }),
		"ramp":      with(func(s *Settings) { s.Ramp = -time.Second }),
	} {
		var se *SettingsError
		if err := set.Check(); !errors.As(err, &se) || se.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	if err := defaults.Check(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// stepAt judges a step by a P95 that rises with the level: a fake of a
// target whose knee is known, writing real run directories.
func stepAt(t *testing.T, p95PerLevel float64) Step {
	return func(ctx context.Context, sc *scenarios.Scenario, dir string) (string, record.Outcome, error) {
		level := sc.Load.Stages[len(sc.Load.Stages)-1].Users.To
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", record.Outcome{}, err
		}
		p95 := level * p95PerLevel
		run := record.Run{Schema: record.Schema, Scenario: sc.Name, Status: record.StatusCompleted, Profile: "optimized",
			Overall: record.Stats{Requests: 100, Successes: 100, LatencyUS: record.Latency{P95: p95}},
			// The target's hit rate falls as the level rises.
			Server: record.Server{Series: map[string]float64{"hit_rate": 1 - level/100}}}
		if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
			return "", record.Outcome{}, err
		}
		v, threshold := p95, 100_000.0
		g := record.Gate{Expr: "p95 < 100ms", Value: &v, Threshold: threshold, Unit: "us", Verdict: record.VerdictPass}
		if p95 >= threshold {
			g.Verdict = record.VerdictFail
		}
		return dir, record.Outcome{Verdict: g.Verdict, Gates: []record.Gate{g}}, nil
	}
}

func TestSearchStopsAtTheKnee(t *testing.T) {
	t.Parallel()
	sc := parse(t, "  model: closed\n  stages: [{duration: 10s, users: 100}]\nmetrics:\n  url: http://127.0.0.1:1/metrics\n  series:\n    hit_rate: {expr: 'ratio(increase(h_total), increase(l_total))', headline: true}\n")
	set := defaults
	set.Start, set.Increment, set.Max = 10, 10, 100
	s := &Search{Scenario: sc, Settings: set, Gates: sc.GateExprs(), Root: t.TempDir(), Step: stepAt(t, 2_000)} // 50 users → 100 ms
	c, dir, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Found || c.Capacity != 40 || c.Knee != 50 || len(c.Steps) != 5 || c.Profile != "optimized" {
		t.Fatalf("found %v capacity %v knee %v steps %d profile %q", c.Found, c.Capacity, c.Knee, len(c.Steps), c.Profile)
	}
	data, err := os.ReadFile(filepath.Join(dir, record.CapacityFile))
	if err != nil {
		t.Fatal(err)
	}
	var saved record.Capacity
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Capacity != 40 || saved.Steps[4].P95US != 100_000 {
		t.Errorf("capacity.json: %+v", saved)
	}
	// Each step records the target's series, and the search what they are.
	if saved.Steps[0].Series["hit_rate"] != 0.9 || saved.Steps[4].Series["hit_rate"] != 0.5 ||
		len(saved.Series) != 2 || saved.Series[1].Name != "hit_rate" || !saved.Series[1].Headline {
		t.Errorf("capacity.json series %+v, steps' %v, %v", saved.Series, saved.Steps[0].Series, saved.Steps[4].Series)
	}
	want := "capacity: 40 users at p95 < 100ms (s, profile optimized); knee at 50 users: p95 < 100ms fail (100 ms)"
	if got := Answer(c); got != want {
		t.Errorf("answer\n got %q\nwant %q", got, want)
	}
}

func TestSearchInterrupted(t *testing.T) {
	t.Parallel()
	sc := parse(t, "  model: closed\n  stages: [{duration: 10s, users: 100}]\n")
	set := defaults
	set.Start, set.Increment, set.Max = 10, 10, 100
	ctx, cancel := context.WithCancel(context.Background())
	inner := stepAt(t, 1)
	steps := 0
	s := &Search{Scenario: sc, Settings: set, Root: t.TempDir(), Step: func(ctx context.Context, sc *scenarios.Scenario, dir string) (string, record.Outcome, error) {
		if steps++; steps == 3 {
			cancel()
		}
		return inner(ctx, sc, dir)
	}}
	c, _, err := s.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Found || c.Capacity != 20 || c.Knee != 0 || len(c.Steps) != 3 || c.Steps[2].Error != "interrupted" {
		t.Errorf("found %v capacity %v knee %v steps %+v", c.Found, c.Capacity, c.Knee, c.Steps)
	}
}

// TestSearchDirName: the search's directory is named as every results
// directory is, results/<UTC yyyymmdd-hhmmss>-<scenario>-capacity.
func TestSearchDirName(t *testing.T) {
	t.Parallel()
	sc := parse(t, "  model: closed\n  stages: [{duration: 10s, users: 100}]\n")
	set := defaults
	set.Start, set.Increment, set.Max = 10, 10, 20
	root := t.TempDir()
	s := &Search{Scenario: sc, Settings: set, Gates: sc.GateExprs(), Root: root, Step: stepAt(t, 1)}
	before := time.Now().UTC().Truncate(time.Second)
	_, dir, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stamp, rest, _ := strings.Cut(filepath.Base(dir), "-s-")
	at, err := time.Parse(record.DirTimeFormat, stamp)
	if err != nil || rest != "capacity" || filepath.Dir(dir) != root || at.Before(before) || at.After(time.Now().UTC()) {
		t.Errorf("directory %s: want %s/<%s>-s-capacity of now (%v)", dir, root, record.DirTimeFormat, err)
	}
}

// TestSearchOnItsClock: the search's times (capacity.json's started and
// ended, the directory's name) are its clock's, not the wall clock's: the
// clock here hands out a minute later on every reading, in 2030.
func TestSearchOnItsClock(t *testing.T) {
	t.Parallel()
	sc := parse(t, "  model: closed\n  stages: [{duration: 10s, users: 100}]\n")
	set := defaults
	set.Start, set.Increment, set.Max = 10, 10, 20
	origin := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	var mu sync.Mutex // guards last
	last := origin.Add(-time.Minute)
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		last = last.Add(time.Minute)
		return last
	}
	root := t.TempDir()
	s := &Search{Scenario: sc, Settings: set, Root: root, Step: stepAt(t, 1), Now: now}
	_, dir, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "20300102-030405-s-capacity"); dir != want {
		t.Errorf("directory %s, want %s", dir, want)
	}
	data, err := os.ReadFile(filepath.Join(dir, record.CapacityFile))
	if err != nil {
		t.Fatal(err)
	}
	var saved record.Capacity
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !saved.Started.Equal(origin) || !saved.Ended.Equal(last) || !saved.Ended.After(saved.Started) {
		t.Errorf("capacity.json started %v ended %v, want %v and the clock's last reading %v", saved.Started, saved.Ended, origin, last)
	}
}

// TestSearchRefusesFaults: a search of a scenario with faults ran its first
// step, which failed for want of a drill ("did not hold p95", then an
// internal "has no drill"); given drills, each step would inject every fault
// again. It is refused before any step, by Describe (a dry run) and Run
// alike, naming the faults; Run creates no directory.
func TestSearchRefusesFaults(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse([]byte(`name: s
target: {base_url: http://127.0.0.1:1}
load: {model: closed, stages: [{duration: 10s, users: 100}]}
requests: [{name: a, path: /}]
faults:
  - {at: 2s, action: exec, run: [/bin/true]}
  - {name: again, at: 5s, action: exec, run: [/bin/true]}
gates: [p95 < 100ms]
`), "s.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{"CheckScenario": CheckScenario(sc), "Describe": func() error { _, err := Describe(sc, defaults, nil); return err }()} {
		if err == nil || !strings.Contains(err.Error(), "faults (exec@2s, again)") || !strings.Contains(err.Error(), "every fault") {
			t.Errorf("%s: %v, want a refusal naming the faults", name, err)
		}
	}
	root := filepath.Join(t.TempDir(), "results")
	steps := 0
	s := &Search{Scenario: sc, Settings: defaults, Root: root, Step: func(context.Context, *scenarios.Scenario, string) (string, record.Outcome, error) {
		steps++
		return "", record.Outcome{}, errors.New("no step should run")
	}}
	c, dir, err := s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "faults (exec@2s, again)") || c != nil || dir != "" {
		t.Errorf("Run: %v, %v, %q; want a refusal and no search", c, err, dir)
	}
	if _, statErr := os.Stat(root); steps != 0 || !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("%d steps ran; results root: %v (want none created)", steps, statErr)
	}
	if err := CheckScenario(parse(t, "  stages: [{duration: 10s, rate: 100/s}]\n")); err != nil {
		t.Errorf("a scenario without faults: %v", err)
	}
}

// TestSearchGoodput: Settings.Goodput adds the gate goodput >= that share
// to the gates judging every step (and to capacity.json's), so the search
// finds the highest level whose goodput stays at or above it; a scenario
// without an slo is refused, naming the setting.
func TestSearchGoodput(t *testing.T) {
	t.Parallel()
	src := "name: llm\ntarget: {base_url: http://127.0.0.1:1}\nload:\n  stages: [{duration: 10s, rate: 8/s}]\n" +
		"requests: [{name: chat, path: /, stream: sse}]\nslo: {ttft: 1s}\ngates: [error_rate < 1%]\n"
	sc, err := scenarios.Parse([]byte(src), "llm.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	set := defaults
	set.Start, set.Increment, set.Max, set.Goodput = 2, 2, 10, 0.9
	var judged [][]string
	// Goodput falls as the rate rises: 1 at 2/s, 0.95 at 4/s, 0.90 at 6/s
	// (at the share: it holds), 0.85 at 8/s.
	step := func(ctx context.Context, sc *scenarios.Scenario, dir string) (string, record.Outcome, error) {
		judged = append(judged, sc.GateExprs())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", record.Outcome{}, err
		}
		level := sc.Load.Stages[len(sc.Load.Stages)-1].Rate.To
		good := 1.05 - 0.05*level/2
		run := record.Run{Schema: record.Schema, Scenario: sc.Name, Status: record.StatusCompleted,
			Overall: record.Stats{Requests: 100, Successes: 100, Stream: &record.Stream{Requests: 100, OK: 100, Goodput: &good}}}
		if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
			return "", record.Outcome{}, err
		}
		var gates []record.Gate
		for _, g := range sc.ParsedGates() {
			gates = append(gates, g.Evaluate(gate.Input{Run: &run}))
		}
		out := record.Outcome{Verdict: record.VerdictPass, Gates: gates}
		for _, g := range gates {
			if g.Verdict != record.VerdictPass {
				out.Verdict = g.Verdict
			}
		}
		return dir, out, nil
	}
	s := &Search{Scenario: sc, Settings: set, Gates: sc.GateExprs(), Root: t.TempDir(), Step: step}
	c, _, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Found || c.Capacity != 6 || c.Knee != 8 {
		t.Errorf("capacity %v knee %v (%s), want 6 and 8", c.Capacity, c.Knee, c.Stopped)
	}
	want := []string{"error_rate < 1%", "goodput >= 90%"}
	if !reflect.DeepEqual(c.Gates, want) || len(judged) == 0 || !reflect.DeepEqual(judged[0], want) {
		t.Errorf("gates %v, the steps judged by %v; want %v", c.Gates, judged, want)
	}
	if sc.GateExprs()[0] != "error_rate < 1%" || len(sc.GateExprs()) != 1 {
		t.Errorf("the search changed the caller's scenario: %v", sc.GateExprs())
	}
	noSLO, err := scenarios.Parse([]byte(strings.Replace(src, "slo: {ttft: 1s}\n", "", 1)), "llm.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	s.Scenario = noSLO
	var se *SettingsError
	if _, _, err := s.Run(context.Background()); !errors.As(err, &se) || se.Field != "goodput" || !strings.Contains(err.Error(), "no slo") {
		t.Errorf("goodput without slo: %v", err)
	}
	bad := defaults
	bad.Goodput = 90
	if err := bad.Check(); !errors.As(err, &se) || se.Field != "goodput" {
		t.Errorf("goodput 90: %v", err)
	}
}
