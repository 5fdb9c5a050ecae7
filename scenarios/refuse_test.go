package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// refuseBase is a valid scenario; each case below changes one thing.
const refuseBase = `name: r
target:
  base_url: http://127.0.0.1:1
  headers: {X-Trace: "on"}
load:
  stages:
    - {duration: 10s, rate: 5/s}
requests:
  - {name: chat, path: /chat}
gates:
  - p95 < 1s
`

// TestRefusedScenarios holds every scenario that must stop before a single
// request is sent: each is an *Error whose text names the file, the line and
// the field (or variable) at fault.
func TestRefusedScenarios(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// old is replaced by new in refuseBase (the whole file when old is "").
		old, new  string
		overrides *Overrides
		// want are substrings of the error text, the first one
		// "bad.yaml:LINE:" or "bad.yaml:LINE:COL: FIELD".
		want []string
	}{
		// An unset variable without a default was silently empty.
		{name: "unset variable in a header", old: `X-Trace: "on"`, new: `X-Trace: "${TRACE_TOKEN}"`,
			want: []string{"bad.yaml:4:", "target.headers.X-Trace", "${TRACE_TOKEN}", "not set"}},
		{name: "unset variable in the base URL", old: `base_url: http://127.0.0.1:1`, new: `base_url: http://${HOST}:1`,
			want: []string{"bad.yaml:3:", "target.base_url", "${HOST}"}},
		{name: "unset variable in a path", old: `path: /chat}`, new: `path: "/chat/${ROOM}"}`,
			want: []string{"bad.yaml:9:", "requests[0].path", "${ROOM}"}},
		{name: "unset variable in a duration", old: `duration: 10s`, new: `duration: "${LEN}"`,
			want: []string{"bad.yaml:7:", "load.stages[0].duration", "${LEN}"}},
		// A gate on an endpoint no request is named was found only after
		// the whole load was sent.
		{name: "gate on an unknown endpoint", old: `p95 < 1s`, new: `chta.p95 < 1s`,
			want: []string{"bad.yaml:11:", "gates[0]", `"chta"`, "chat"}},
		{name: "gate on an unknown fault", old: `p95 < 1s`, new: `redis_dwon.recovery_time < 1s`,
			want: []string{"bad.yaml:11:", "gates[0]", `no fault is named "redis_dwon"`, "faults: none"}},
		{name: "gate on an unknown metric", old: `p95 < 1s`, new: `p96 < 1s`,
			want: []string{"bad.yaml:11:", "gates[0]", `unknown metric "p96"`}},
		{name: "gate on a scraped metric without metrics.url", old: `p95 < 1s`, new: `memory_growth < 10MB/h`,
			want: []string{"bad.yaml:11:", "gates[0]", "metrics.url"}},
		// A gate on a series the scenario does not declare.
		{name: "gate on an undeclared series", old: "gates:\n  - p95 < 1s", new: "metrics: {url: http://127.0.0.1:1/metrics}\ngates:\n  - cache_hit_rate > 60%",
			want: []string{"bad.yaml:12:", "gates[0]", `unknown metric "cache_hit_rate"`, "or a named series: rss_bytes"}},
		{name: "gate on a series, its unit wrong", old: "gates:\n  - p95 < 1s", new: "metrics:\n  url: http://127.0.0.1:1/metrics\n  series: {q: 'quantile(0.95, db_seconds)'}\ngates:\n  - q < 5",
			want: []string{"bad.yaml:14:", "gates[0]", "a duration needs a unit"}},
		{name: "gate on a target series without metrics.url", old: `p95 < 1s`, new: `increase(orders_total) < 10`,
			want: []string{"bad.yaml:11:", "gates[0]", "metrics.url"}},
		// Streams (issue 20): each refused at load with its line.
		{name: "stream metric without streams", old: `p95 < 1s`, new: `ttft.p95 < 1s`,
			want: []string{"bad.yaml:11:", "gates[0]", "no request or step of the scenario streams"}},
		{name: "stream metric of an endpoint that does not stream", old: "requests:\n  - {name: chat, path: /chat}\ngates:\n  - p95 < 1s",
			new:  "requests:\n  - {name: chat, path: /chat, stream: sse}\n  - {name: plain, path: /p}\ngates:\n  - plain.tpot.p50 < 1s",
			want: []string{"bad.yaml:12:", "gates[0]", "plain does not stream", "streamed endpoints: chat"}},
		{name: "goodput without slo", old: "path: /chat}\ngates:\n  - p95 < 1s", new: "path: /chat, stream: sse}\ngates:\n  - goodput > 90%",
			want: []string{"bad.yaml:11:", "gates[0]", "no slo"}},
		{name: "abort on a stream metric", old: "path: /chat}\ngates:\n  - p95 < 1s", new: "path: /chat, stream: sse}\ngates:\n  - {expr: ttft.p95 < 1s, abort: {}}",
			want: []string{"bad.yaml:11:", "gates[0].abort", "whole run"}},
		{name: "slo without streams", old: "gates:", new: "slo: {ttft: 1s}\ngates:",
			want: []string{"bad.yaml:10:", "slo", "no request or step of the scenario streams"}},
		{name: "negative slo", old: "path: /chat}\ngates:", new: "path: /chat, stream: sse}\nslo: {tpot: -1s}\ngates:",
			want: []string{"bad.yaml:10:", "slo.tpot", "negative"}},
		{name: "unknown stream mode", old: `path: /chat}`, new: `path: /chat, stream: websocket}`,
			want: []string{"bad.yaml:9:", "requests[0].stream", `"websocket"`, "sse or chunks"}},
		{name: "stream_content without stream", old: `path: /chat}`, new: `path: /chat, stream_content: $.text}`,
			want: []string{"bad.yaml:9:", "requests[0].stream_content", "applies to a stream"}},
		{name: "bad stream_content", old: `path: /chat}`, new: `path: /chat, stream: sse, stream_content: "$.a["}`,
			want: []string{"bad.yaml:9:", "requests[0].stream_content"}},
		{name: "a streamed step's body check", old: "requests:\n  - {name: chat, path: /chat}",
			new:  "flows:\n  - name: f\n    steps:\n      - {name: s, path: /s, stream: sse, check: [{body_contains: ok}]}",
			want: []string{"bad.yaml:11:", "flows[0].steps[0].stream", "check[0] (body_contains)"}},
		{name: "a streaming setup request", old: "requests:", new: "setup:\n  - {name: s, path: /s, stream: sse}\nrequests:",
			want: []string{"bad.yaml:9:", "setup[0].stream", "cannot stream"}},
		// Gates that could only be unknown in a run of this scenario were
		// found unknown after the whole load was sent (issue 19).
		{name: "recovery_time without faults or a spike", old: `p95 < 1s`, new: `recovery_time < 10s`,
			want: []string{"bad.yaml:11:5: gates[0]", "neither faults nor a spike"}},
		{name: "recovery_time after a spike without p95 or error_rate gates", old: "    - {duration: 10s, rate: 5/s}\n", new: "    - {duration: 10s, rate: 5/s}\n    - {duration: 5s, rate: 50/s}\n    - {duration: 10s, rate: 5/s}\n",
			overrides: &Overrides{Gates: []string{"recovery_time < 10s"}}, want: []string{`--gate: gate "recovery_time < 10s"`, "p95 and error_rate gates"}},
		{name: "fault_error_rate without faults", old: `p95 < 1s`, new: `fault_error_rate < 5%`,
			want: []string{"bad.yaml:11:5: gates[0]", "no faults"}},
		{name: "checks without a check", old: `p95 < 1s`, new: `checks > 99%`,
			want: []string{"bad.yaml:11:5: gates[0]", "the scenario has no check"}},
		{name: "checks of a request", old: `p95 < 1s`, new: `chat.checks > 99%`,
			want: []string{"bad.yaml:11:5: gates[0]", "chat holds no check"}},
		{name: "writes_lost where the writes are not counted", old: `p95 < 1s`, new: `writes_lost <= 0`,
			want: []string{"bad.yaml:11:5: gates[0]", "writes are not counted"}},
		{name: "p95_drift over 3 measured seconds", old: `duration: 10s`, new: `duration: 3s`, overrides: &Overrides{Gates: []string{"p95_drift < 10%"}},
			want: []string{`--gate: gate "p95_drift < 10%"`, "needs at least 4"}},
		// --gate is held to the same rules, and named as the flag.
		{name: "--gate recovery_time without faults or a spike", overrides: &Overrides{Gates: []string{"p95 < 1s", "recovery_time < 10s", "p97 < 1s"}},
			want: []string{`--gate: gate "recovery_time < 10s": the scenario has neither faults nor a spike`, `--gate: gate "p97 < 1s": unknown metric "p97"`}},
		// A rate without its unit: 5/s, 5/m or 5/h?
		{name: "rate without a unit", old: `rate: 5/s`, new: `rate: 5`,
			want: []string{"bad.yaml:7:", "load.stages[0].rate", "5: write the unit, e.g. 5/s"}},
		// A second document was silently ignored.
		{name: "second YAML document", old: `  - p95 < 1s
`, new: `  - p95 < 1s
---
name: other
`, want: []string{"bad.yaml:12:", "second YAML document"}},
		{name: "trailing document separator", old: `  - p95 < 1s
`, new: `  - p95 < 1s
---
`, want: []string{"bad.yaml:12:", "second YAML document"}},
		// Written as empty, these became the default.
		{name: "empty method", old: `path: /chat}`, new: `path: /chat, method: ""}`,
			want: []string{"bad.yaml:9:", "requests[0].method"}},
		{name: "empty method from a variable", old: `path: /chat}`, new: `path: /chat, method: "${M:-}"}`,
			want: []string{"bad.yaml:9:", "requests[0].method"}},
		{name: "empty expect", old: `path: /chat}`, new: `path: /chat, expect: []}`,
			want: []string{"bad.yaml:9:", "requests[0].expect", "no response"}},
		{name: "explicit zero scrape interval", old: `gates:`, new: "metrics: {url: http://127.0.0.1:1/metrics, interval: 0s}\ngates:",
			want: []string{"bad.yaml:10:", "metrics.interval"}},
		{name: "explicit zero max_connections", old: `  stages:`, new: "  max_connections: 0\n  stages:",
			want: []string{"bad.yaml:6:", "load.max_connections"}},
		{name: "explicit zero max_workers", old: `  stages:`, new: "  max_workers: 0\n  stages:",
			want: []string{"bad.yaml:6:", "load.max_workers"}},
		{name: "explicit zero timeout", old: `  headers:`, new: "  timeout: 0s\n  headers:",
			want: []string{"bad.yaml:4:", "target.timeout"}},
		{name: "explicit zero abort window", old: `  - p95 < 1s`, new: "  - {expr: p95 < 1s, abort: {window: 0s}}",
			want: []string{"bad.yaml:11:", "gates[0].abort.window"}},
		{name: "empty model", old: `  stages:`, new: "  model: \"\"\n  stages:",
			want: []string{"bad.yaml:6:", "load.model"}},
		// Plans nobody means without saying so.
		{name: "plan over 24 hours", old: `duration: 10s`, new: `duration: 25h`,
			want: []string{"bad.yaml:7:", "load.stages", "25h", "24h", "--allow-long"}},
		{name: "plan over 24 hours by --duration", overrides: &Overrides{Duration: 30 * time.Hour},
			want: []string{"bad.yaml:7:", "load.stages", "30h", "--allow-long"}},
		{name: "plan over 10^9 requests", old: `{duration: 10s, rate: 5/s}`, new: `{duration: 14h, rate: 20000/s}`,
			want: []string{"bad.yaml:7:", "load.stages", "1008000000 requests", "--allow-long"}},
		{name: "plan over 10^9 requests by --duration and --rate", overrides: &Overrides{Duration: 2 * time.Hour, Rate: 200_000},
			want: []string{"bad.yaml:7:", "load.stages", "1440000000 requests", "--allow-long"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := refuseBase
			if c.old != "" {
				if !strings.Contains(src, c.old) {
					t.Fatalf("base lacks %q", c.old)
				}
				src = strings.Replace(src, c.old, c.new, 1)
			}
			noEnv := Options{LookupEnv: func(string) (string, bool) { return "", false }}
			sc, err := Parse([]byte(src), "bad.yaml", "", noEnv)
			if err == nil {
				o := Overrides{}
				if c.overrides != nil {
					o = *c.overrides
				}
				err = sc.Apply(o)
			}
			var se *Error
			if !errors.As(err, &se) && (c.overrides == nil || c.overrides.Gates == nil) {
				t.Fatalf("want a *scenarios.Error, got %v\n%s", err, src)
			}
			if err == nil {
				t.Fatalf("accepted:\n%s", src)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestAcceptedNearTheRefusals checks that the rules above refuse no more
// than they should.
func TestAcceptedNearTheRefusals(t *testing.T) {
	t.Parallel()
	env := map[string]string{"EMPTY": "", "TRACE": "yes"}
	cases := []struct {
		name, old, new string
		overrides      Overrides
		writesChecked  bool
		check          func(*Scenario) error
	}{
		{name: "set variable", old: `"on"`, new: `"${TRACE}"`, check: func(s *Scenario) error {
			return want(s.Target.Headers["X-Trace"], "yes")
		}},
		{name: "variable set to empty", old: `"on"`, new: `"${EMPTY}"`, check: func(s *Scenario) error {
			return want(s.Target.Headers["X-Trace"], "")
		}},
		{name: "unset variable with a default", old: `"on"`, new: `"${NOPE:-off}"`, check: func(s *Scenario) error {
			return want(s.Target.Headers["X-Trace"], "off")
		}},
		{name: "literal dollar", old: `"on"`, new: `"$${NOPE}"`, check: func(s *Scenario) error {
			return want(s.Target.Headers["X-Trace"], "${NOPE}")
		}},
		{name: "absent keys take their defaults", check: func(s *Scenario) error {
			if s.Load.MaxConnections != DefaultMaxConnections || s.Load.MaxWorkers != DefaultMaxWorkers ||
				s.Metrics.Interval.D() != DefaultScrapeInterval || s.Target.Timeout.D() != DefaultTimeout ||
				s.Requests[0].Method != "GET" || s.Requests[0].Expect != nil || s.Load.Model != ModelOpen {
				return fmt.Errorf("defaults not applied: %+v", s)
			}
			return nil
		}},
		{name: "gate on a named endpoint", old: `p95 < 1s`, new: `chat.p95 < 1s`},
		{name: "scraped metric with metrics.url", old: "gates:\n  - p95 < 1s", new: "metrics: {url: http://127.0.0.1:1/metrics}\ngates:\n  - memory_growth < 10MB/h\n  - rss_bytes < 1GB"},
		{name: "gate on a declared series", old: "gates:\n  - p95 < 1s", new: "metrics:\n  url: http://127.0.0.1:1/metrics\n  series:\n    cache_hit_rate: 'ratio(increase(c_total{r=\"hit\"}), increase(c_total))'\ngates:\n  - cache_hit_rate > 60%",
			check: func(s *Scenario) error {
				if g := s.Gates[0].Parsed(); g.Named != "cache_hit_rate" || g.Threshold != 0.6 || g.Unit != "ratio" {
					return fmt.Errorf("parsed %+v", g)
				}
				return nil
			}},
		{name: "error_rate under 100%", old: `p95 < 1s`, new: `error_rate < 100%`},
		// Each gate where what it reads exists.
		{name: "recovery_time with faults", old: "gates:", new: "faults: [{name: f, at: 2s, for: 2s, action: exec, run: [\"true\"], undo: [\"true\"]}]\ngates:\n  - recovery_time < 10s\n  - f.recovery_time < 10s\n  - fault_error_rate < 5%"},
		{name: "recovery_time after a spike", old: "    - {duration: 10s, rate: 5/s}\n", new: "    - {duration: 10s, rate: 5/s}\n    - {duration: 5s, rate: 50/s}\n    - {duration: 10s, rate: 5/s}\n",
			overrides: Overrides{Gates: []string{"error_rate < 1%", "recovery_time < 10s"}}},
		{name: "writes_lost where the writes are counted", old: "gates:", new: "faults: [{name: f, at: 2s, for: 2s, action: exec, run: [\"true\"], undo: [\"true\"]}]\ngates:\n  - writes_lost <= 0", writesChecked: true},
		{name: "p95_drift over 4 measured seconds", old: `duration: 10s`, new: `duration: 4s`, overrides: Overrides{Gates: []string{"p95_drift < 10%"}}},
		{name: "gates replaced", overrides: Overrides{Gates: []string{"error_rate < 5%"}}, check: func(s *Scenario) error {
			if !s.GatesOverridden() || strings.Join(s.GateExprs(), "|") != "error_rate < 5%" || strings.Join(s.OwnGateExprs(), "|") != "p95 < 1s" ||
				s.Gates[0].Parsed().Metric != "error_rate" || s.Gates[0].Parsed().Threshold != 0.05 ||
				!strings.Contains(s.Describe(), "gates\n  (given by --gate, in place of the scenario's)\n  error_rate < 5%\n") {
				return fmt.Errorf("gates %q (overridden %v), own %q, parsed %+v", s.GateExprs(), s.GatesOverridden(), s.OwnGateExprs(), s.ParsedGates())
			}
			return nil
		}},
		{name: "gates parsed at load", check: func(s *Scenario) error {
			if s.GatesOverridden() || s.Gates[0].Parsed().Metric != "p95" || s.Gates[0].Parsed().Threshold != 1e6 {
				return fmt.Errorf("parsed %+v", s.ParsedGates())
			}
			return nil
		}},
		{name: "exactly 24 hours", old: `duration: 10s`, new: `duration: 24h`},
		{name: "over 24 hours when allowed", old: `duration: 10s`, new: `duration: 48h`, overrides: Overrides{AllowLong: true}},
		{name: "a long file shortened by --duration", old: `duration: 10s`, new: `duration: 48h`, overrides: Overrides{Duration: time.Hour}},
		{name: "exactly 10^9 requests", old: `{duration: 10s, rate: 5/s}`, new: `{duration: 50000s, rate: 20000/s}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(refuseBase, c.old, c.new, 1)
			opts := Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, WritesChecked: c.writesChecked}
			sc, err := Parse([]byte(src), "ok.yaml", "", opts)
			if err == nil {
				err = sc.Apply(c.overrides)
			}
			if err == nil && c.check != nil {
				err = c.check(sc)
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, src)
			}
		})
	}
}

func want(got, w string) error {
	if got != w {
		return fmt.Errorf("got %q, want %q", got, w)
	}
	return nil
}

// TestManyStagesAreNotAnAliasBomb: a long file without aliases is no
// "billion laughs"; one whose aliases expand past the bound still is.
func TestManyStagesAreNotAnAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("name: many\ntarget: {base_url: \"http://127.0.0.1:1\"}\nload:\n  stages:\n")
	const stages = 34_000 // over the old bound of 100,000 values (3 a stage)
	for range stages {
		b.WriteString("    - {duration: 1s, rate: 1/s}\n")
	}
	b.WriteString("requests: [{name: a, path: /}]\n")
	sc, err := Parse([]byte(b.String()), "many.yaml", "")
	if err != nil {
		t.Fatalf("%d stages: %.300v", stages, err)
	}
	if len(sc.Load.Stages) != stages || sc.ExpectedRequests() != stages {
		t.Fatalf("%d stages, %d requests", len(sc.Load.Stages), sc.ExpectedRequests())
	}

	// 200 data sources sharing one list of 1,000 values: few lines, but
	// 200,000 values once the aliases are expanded.
	b.Reset()
	b.WriteString("name: x\ntarget: {base_url: \"http://127.0.0.1:1\"}\nload: {stages: [{duration: 1s, rate: 1/s}]}\ndata:\n")
	b.WriteString("  d0: {values: &v [" + strings.Repeat("x, ", 999) + "x]}\n")
	for i := 1; i < 200; i++ {
		fmt.Fprintf(&b, "  d%d: {values: *v}\n", i)
	}
	b.WriteString("requests: [{name: r, path: /}]\n")
	bomb := b.String()
	_, err = Parse([]byte(bomb), "bomb.yaml", "")
	if err == nil || !strings.Contains(err.Error(), "aliases") {
		t.Fatalf("alias bomb: %v", err)
	}
}

// TestGateEndpointsOfFlows: a flow's steps and iterations are endpoints a
// gate may name ("buyer.login", "buyer.iteration"); a misspelt step is not.
func TestGateEndpointsOfFlows(t *testing.T) {
	t.Parallel()
	for expr, ok := range map[string]bool{
		"buyer.login.p95 < 1s": true, "buyer.iteration.p95 < 1s": true, "home.p95 < 1s": true,
		"buyer.logn.p95 < 1s": false, "seller.login.p95 < 1s": false, "buyer.p95 < 1s": false,
	} {
		sc, err := Load("testdata/good/flows.yaml")
		if err != nil {
			t.Fatal(err)
		}
		err = sc.Apply(Overrides{Gates: []string{expr}})
		if (err == nil) != ok {
			t.Errorf("%q: %v", expr, err)
		}
		if err != nil && !strings.Contains(err.Error(), "buyer.login") {
			t.Errorf("%q: the error lists no endpoints: %v", expr, err)
		}
	}
}

// TestEveryProblemAtOnce: a mistake the decoder finds (an unknown key) does
// not hide the ones validation finds (issue 23: a bad extract hid a bad
// gate name until it was fixed), nor does it bring problems that only
// follow from it (the extract it left empty).
func TestEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	src := `name: a
target: {base_url: http://127.0.0.1:1}
load:
  stages: [{duration: 5s, rate: 5/s}]
flows:
  - name: buyer
    steps:
      - name: login
        path: /login
        extract:
          token: {jsonpath: "$.token"}
      - {name: home, path: "/home?t={{token}}", method: FETCH}
gates:
  - buyer.logn.p95 < 1s
`
	_, err := Parse([]byte(src), "a.yaml", "")
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("want a *scenarios.Error, got %v", err)
	}
	for _, w := range []string{
		`a.yaml:11:19: flows[0].steps[0].extract.token.jsonpath: unknown field "jsonpath"`,
		`a.yaml:12:57: flows[0].steps[1].method: "FETCH" is not an HTTP method`,
		`a.yaml:14:5: gates[0]: gate "buyer.logn.p95 < 1s": no request is named "buyer.logn"`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if len(se.Problems) != 3 {
		t.Errorf("%d problems, want the 3 above:\n%v", len(se.Problems), err)
	}
}
