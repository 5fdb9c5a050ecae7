package scenarios

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files of bad scenarios")

// TestBadScenariosGolden checks the error message of every bad scenario in
// testdata/bad against its .golden file (refresh with -update).
func TestBadScenariosGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad scenarios: %v", err)
	}
	noEnv := Options{LookupEnv: func(string) (string, bool) { return "", false }}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Load(f, noEnv)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("want a *scenarios.Error, got %v", err)
			}
			for _, p := range se.Problems {
				if p.Line == 0 {
					t.Errorf("problem without a line: %+v", p)
				}
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			got := err.Error() + "\n"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestFullScenario(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TEST_TARGET": "http://10.0.0.1:80"}
	sc, err := Load("testdata/good/full.yaml", Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Target.BaseURL != "http://10.0.0.1:80" || sc.Metrics.URL != "http://10.0.0.1:80/metrics" {
		t.Errorf("env not expanded: %q, %q", sc.Target.BaseURL, sc.Metrics.URL)
	}
	if sc.Target.Headers["X-API-Key"] != "dev-key" {
		t.Errorf("default not taken: %q", sc.Target.Headers["X-API-Key"])
	}
	if got := sc.Load.Stages[1].Rate; got.From != 50 || got.To != 50 {
		t.Errorf("3000/m = %+v, want 50/s", got)
	}
	if sc.Setup[0].Method != "POST" || sc.Requests[1].Method != "GET" {
		t.Errorf("methods %q %q", sc.Setup[0].Method, sc.Requests[1].Method)
	}
	foods, err := sc.Values("food")
	if err != nil || strings.Join(foods, "|") != "apple|banana split|rice" {
		t.Errorf("foods %q, %v", foods, err)
	}
	cities, err := sc.Values("city")
	if err != nil || strings.Join(cities, "|") != "Paris|Oslo" {
		t.Errorf("cities %q, %v", cities, err)
	}
	// 30 s ramp to 50/s = 750, then 60 s at 50/s = 3000.
	if n := sc.ExpectedRequests(); n != 3750 {
		t.Errorf("expected %d requests, want 3750", n)
	}
	plan := sc.Describe()
	for _, want := range []string{"75.0%", "25.0%", "3750 requests", "search.p99 < 100ms", "0 -> 50/s", "first 10s warm-up"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
}

func TestBuiltins(t *testing.T) {
	t.Parallel()
	want := []string{"journey", "llm", "resilience", "smoke", "soak", "spike", "steady", "users"}
	if got := Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("built-ins %v, want %v", got, want)
	}
	for _, name := range want {
		// resilience gates on writes_lost: loadgate scenario counts them.
		sc, err := Resolve(name, Options{WritesChecked: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch {
		case name == "journey":
			if len(sc.Flows) != 1 || len(sc.Flows[0].Steps) != 6 || len(sc.Requests) != 0 {
				t.Errorf("journey: %d flows, %d requests", len(sc.Flows), len(sc.Requests))
			}
		case name == "llm":
			// Streamed chats judged by their TTFT, TPOT and goodput.
			if !sc.HasStreams() || sc.SLO.IsZero() || len(sc.Gates) != 4 || sc.Load.Model != ModelOpen {
				t.Errorf("llm: streams %v, slo %+v, %d gates, model %s", sc.StreamEndpoints(), sc.SLO, len(sc.Gates), sc.Load.Model)
			}
		case len(sc.Gates) != 3 || len(sc.Requests) < 9:
			t.Errorf("%s: %d gates, %d requests", name, len(sc.Gates), len(sc.Requests))
		}
		// Every built-in keeps its shape when shortened.
		before := stageShape(sc)
		if err := sc.Apply(Overrides{Duration: 15 * time.Second, TargetURL: "http://127.0.0.1:9/"}); err != nil {
			t.Fatalf("%s shortened: %v", name, err)
		}
		if sc.TotalDuration() != 15*time.Second {
			t.Errorf("%s: %s after --duration 15s", name, sc.TotalDuration())
		}
		after := stageShape(sc)
		for i := range before {
			if before[i].From != after[i].From || before[i].To != after[i].To {
				t.Errorf("%s stage %d: levels changed", name, i)
			}
			r0 := before[i].DurationS / before[len(before)-1].StartS
			r1 := after[i].DurationS / after[len(after)-1].StartS
			if d := r0 - r1; d > 0.01 || d < -0.01 {
				t.Errorf("%s stage %d: share of the run %.3f became %.3f", name, i, r0, r1)
			}
		}
		if sc.Metrics.URL != "http://127.0.0.1:9/metrics" {
			t.Errorf("%s: metrics URL %q not moved with the target", name, sc.Metrics.URL)
		}
	}
	if _, err := Resolve("nope"); err == nil || !strings.Contains(err.Error(), "smoke") {
		t.Errorf("unknown built-in: %v", err)
	}
}

func TestOverrides(t *testing.T) {
	t.Parallel()
	sc, err := Builtin("spike")
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Apply(Overrides{Rate: 100}); err != nil {
		t.Fatal(err)
	}
	st := sc.Load.Stages
	if st[0].Rate.To != 10 || st[2].Rate.To != 100 {
		t.Errorf("rate override: base %v, peak %v; want 10 and 100", st[0].Rate.To, st[2].Rate.To)
	}
	if err := sc.Apply(Overrides{Shard: Shard{Index: 2, Count: 4}}); err != nil {
		t.Fatal(err)
	}
	if sc.Load.Stages[2].Rate.To != 25 || sc.Shard.String() != "2/4" {
		t.Errorf("shard: peak %v, shard %v", sc.Load.Stages[2].Rate.To, sc.Shard)
	}
	users, err := Builtin("users")
	if err != nil {
		t.Fatal(err)
	}
	if err := users.Apply(Overrides{Rate: 5}); err == nil {
		t.Error("a rate override of a closed-model scenario was accepted")
	}
	total := 0.0
	for i := 1; i <= 3; i++ {
		u, _ := Builtin("users")
		if err := u.Apply(Overrides{Shard: Shard{Index: i, Count: 3}}); err != nil {
			t.Fatal(err)
		}
		total += u.Load.Stages[1].Users.To
	}
	if total != 100 {
		t.Errorf("3 shards of 100 users hold %v users", total)
	}
}

func TestParseRamp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in       string
		from, to float64
		bad      bool
	}{
		{in: "50", from: 50, to: 50},
		{in: "50/s", from: 50, to: 50},
		{in: "120/m", from: 2, to: 2},
		{in: "0 -> 50/s", from: 0, to: 50},
		{in: "0->100", from: 0, to: 100},
		{in: "7200/h -> 1/s", from: 2, to: 1},
		{in: "-5/s", bad: true},
		{in: "5/d", bad: true},
		{in: "->", bad: true},
		{in: "NaN", bad: true},
	}
	for _, c := range cases {
		r, err := ParseRamp(c.in)
		if (err != nil) != c.bad {
			t.Errorf("%q: err %v", c.in, err)
			continue
		}
		if !c.bad && (r.From != c.from || r.To != c.to) {
			t.Errorf("%q = %v -> %v, want %v -> %v", c.in, r.From, r.To, c.from, c.to)
		}
	}
}

func TestExpandEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"A": "x", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cases := []struct{ in, want, err string }{
		{in: "${A}", want: "x"},
		{in: "${B:-def}/y", want: "def/y"},
		{in: "${EMPTY:-def}", want: "def"},
		{in: "${B}", err: "${B} is not set and has no default"},
		{in: "${EMPTY}", want: ""},
		{in: "$$5 and $A", want: "$5 and $A"},
		{in: "${A", err: "unterminated"},
		{in: "${1A}", err: "bad variable"},
	}
	for _, c := range cases {
		got, err := expandEnv(c.in, lookup)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestParseShard(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{"1/4": true, "4/4": true, "0/4": false, "5/4": false, "1/": false, "a/b": false, "1/4x": false,
		"1/1000": true, "1000/1000": true, "1/1001": false, "1/1000000000": false} {
		if _, err := ParseShard(in); (err == nil) != ok {
			t.Errorf("ParseShard(%q): %v", in, err)
		}
	}
}

// TestShardCountBound: a shard count above MaxShards is refused when it is
// parsed, saying the bound, whether given as i/N, through --shard auto's
// environment, or to Apply directly: a merge would have to account for
// every one of the N shards.
func TestShardCountBound(t *testing.T) {
	t.Parallel()
	if MaxShards != 1000 {
		t.Fatalf("MaxShards = %d; docs/CONTRACT.md says 1000", MaxShards)
	}
	_, err := ParseShard("1/1000000000")
	if err == nil || !strings.Contains(err.Error(), "at most 1000 shards") {
		t.Errorf("ParseShard(1/1000000000): %v, want a refusal saying at most 1000 shards", err)
	}
	env := map[string]string{EnvShardIndex: "0", EnvShards: "1000000000"}
	_, err = ParseShardAuto("auto", func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), EnvShards) || !strings.Contains(err.Error(), "at most 1000 shards") {
		t.Errorf("--shard auto with $%s=1000000000: %v, want a refusal naming the variable and the bound", EnvShards, err)
	}
	sc, err := Parse([]byte("name: a\ntarget: {base_url: \"http://h:1\"}\nload: {stages: [{duration: 1s, rate: 5/s}]}\nrequests: [{name: r, path: /x}]\n"), "a.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Apply(Overrides{Shard: Shard{Index: 1, Count: 1_000_000_000}}); err == nil || !strings.Contains(err.Error(), "at most 1000 shards") {
		t.Errorf("Apply with shard 1/1000000000: %v, want the same refusal", err)
	}
}

// TestParseShardAuto: --shard auto takes the 0-based index an Indexed Job
// gives its pods and the count from $LOADGATE_SHARDS; anything else is
// ParseShard's i/N.
func TestParseShardAuto(t *testing.T) {
	t.Parallel()
	cases := []struct {
		flag, index, count string
		want               string // "i/N", or part of the error
	}{
		{"auto", "0", "3", "1/3"},         // the first pod
		{"auto", "2", "3", "3/3"},         // the last pod
		{"auto", "3", "3", "1 <= i <= N"}, // an index beyond the count
		{"auto", "", "3", "JOB_COMPLETION_INDEX"},
		{"auto", "1", "", "LOADGATE_SHARDS"},
		{"auto", "x", "3", "not a 0-based index"},
		{"auto", "-1", "3", "not a 0-based index"},
		{"2/4", "0", "3", "2/4"},       // i/N as given; the environment is not read
		{"0/4", "0", "3", "bad shard"}, // ParseShard's rules
	}
	for _, c := range cases {
		env := map[string]string{EnvShardIndex: c.index, EnvShards: c.count}
		sh, err := ParseShardAuto(c.flag, func(k string) string { return env[k] })
		got := sh.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%s with index %q count %q: %s, want %q", c.flag, c.index, c.count, got, c.want)
		}
	}
}

// shapeStage is a stage as run.json's plan records it (runner.Plan).
type shapeStage struct{ StartS, DurationS, From, To float64 }

// stageShape is the scenario's stages with their starts and levels.
func stageShape(sc *Scenario) []shapeStage {
	var out []shapeStage
	start := 0.0
	for _, st := range sc.Load.Stages {
		lv, d := sc.Load.Level(st), st.Duration.D().Seconds()
		out = append(out, shapeStage{StartS: start, DurationS: d, From: lv.From, To: lv.To})
		start += d
	}
	return out
}
