package gate

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr      string
		endpoint  string
		metric    string
		op        Op
		threshold float64
		unit      string
	}{
		// The three default gates.
		{"p95 < 3s", "", "p95", Less, 3e6, "us"},
		{"error_rate < 1%", "", "error_rate", Less, 0.01, "ratio"},
		// Every latency unit.
		{"p99 <= 250us", "", "p99", LessEqual, 250, "us"},
		{"p99 <= 250µs", "", "p99", LessEqual, 250, "us"},
		{"p50 < 1.5ms", "", "p50", Less, 1500, "us"},
		{"max < 2m", "", "max", Less, 120e6, "us"},
		// The dotted percentile, alone and behind an endpoint.
		{"p99.9 < 5s", "", "p99.9", Less, 5e6, "us"},
		{"nutrition_search.p99 < 100ms", "nutrition_search", "p99", Less, 1e5, "us"},
		{"search.p99.9 < 1s", "search", "p99.9", Less, 1e6, "us"},
		{"search.service_time.p95 < 20ms", "search", "service_time.p95", Less, 2e4, "us"},
		{"service_time.p95 < 20ms", "", "service_time.p95", Less, 2e4, "us"},
		// Populations: successful requests unless all. or failed. says so;
		// the longest metric wins, so an endpoint named failed is
		// failed.ok.p95.
		{"failed.p95 < 1s", "", "failed.p95", Less, 1e6, "us"},
		{"ok.p95 < 1s", "", "ok.p95", Less, 1e6, "us"},
		{"chat.all.p99 < 5s", "chat", "all.p99", Less, 5e6, "us"},
		{"search.failed.service_time.p99.9 < 1s", "search", "failed.service_time.p99.9", Less, 1e6, "us"},
		{"failed.ok.p95 < 1s", "failed", "ok.p95", Less, 1e6, "us"},
		// Rates, counts and plain ratios; no spaces.
		{"rate>=99/s", "", "rate", GreaterEqual, 99, "rps"},
		{"achieved_rate >= 50", "", "achieved_rate", GreaterEqual, 50, "rps"},
		{"requests > 1000", "", "requests", Greater, 1000, "count"},
		{"chat.error_rate < 0.05", "chat", "error_rate", Less, 0.05, "ratio"},
		// Named series, in their units (testSeries).
		{"cache_hit_rate > 60%", "", "cache_hit_rate", Greater, 0.6, "ratio"},
		{"server.cache_hit_rate > 0.6", "", "cache_hit_rate", Greater, 0.6, "ratio"},
		{"db_p95 < 5ms", "", "db_p95", Less, 0.005, "s"},
		{"rss_bytes < 512MB", "", "rss_bytes", Less, 512 << 20, "bytes"},
		{"rss_bytes < 1000", "", "rss_bytes", Less, 1000, "bytes"},
		{"goroutines < 500", "", "goroutines", Less, 500, "count"},
		{"orders_per_s > 2/s", "", "orders_per_s", Greater, 2, "rps"},
		// Shape-specific metrics.
		{"recovery_time < 30s", "", "recovery_time", Less, 30, "s"},
		{"p95_drift < 10%", "", "p95_drift", Less, 0.1, "ratio"},
		{"memory_growth < 50MB/h", "", "memory_growth", Less, 50 << 20, "bytes/h"},
	}
	for _, tt := range tests {
		g, err := Parse(tt.expr, testSeries()...)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.expr, err)
			continue
		}
		if g.Endpoint != tt.endpoint || g.Metric != tt.metric || g.Op != tt.op || g.Threshold != tt.threshold || g.Unit != tt.unit {
			t.Errorf("Parse(%q) = %+v, want endpoint %q metric %q op %s threshold %g unit %s",
				tt.expr, g, tt.endpoint, tt.metric, tt.op, tt.threshold, tt.unit)
		}
		wantPop := record.Population("")
		switch {
		case tt.unit != "us":
		case strings.HasPrefix(tt.metric, "all."):
			wantPop = record.All
		case strings.HasPrefix(tt.metric, "failed."):
			wantPop = record.Failed
		default:
			wantPop = record.OK
		}
		if g.Population != wantPop {
			t.Errorf("Parse(%q): population %q, want %q", tt.expr, g.Population, wantPop)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want string // a part of the message besides the expression
	}{
		{"", "empty expression"},
		{"p95 3s", "no comparison operator"},
		{"p95 == 3s", "unsupported operator"},
		{"p95 != 3s", "unsupported operator"},
		{"< 3s", "no metric"},
		{"p95 <", "no threshold"},
		{"p97 < 3s", `unknown metric "p97"`},
		{"p95 < 300", "a latency needs a unit"},
		{"p95 < 3h", `unknown latency unit "h"`},
		{"p95 < fast", "is not a number"},
		{"error_rate < 5", "write 5% or 0.05"},
		{"error_rate < 5ms", "unknown unit"},
		{"requests > 10%", "a count takes a plain number"},
		{"rate > 10ms", "unknown unit"},
		{"p95 < -1s", "negative threshold"},
		// Run-wide metrics take no endpoint.
		{"search.cache_hit_rate > 60%", "unknown metric"},
		// A named series' threshold takes its unit; a name not declared
		// is unknown, and the error lists those that are.
		{"cache_hit_rate > 60ms", "unknown unit"},
		{"db_p95 < 5", "a duration needs a unit"},
		{"rss_bytes < 5ms", "unknown unit \"ms\" for a size"},
		{"goroutines < 5%", "a count takes a plain number"},
		{"cache_hits > 3", `unknown metric "cache_hits"`},
		{"cache_hits > 3", "or a named series: cache_hit_rate, db_p95, db_p99, db_pool_wait, db_pool_empty_acquires, rss_bytes, goroutines, orders_per_s"},
		{"recovery_time < 30", "a duration needs a unit"},
		// A share of requests or lookups is at most 100 %: the gate could
		// never fail (or never pass).
		{"error_rate < 200%", "at most 100%"},
		{"chat.error_rate < 100.5%", "at most 100%"},
		// Nor does a share's whole range: every run would pass.
		{"error_rate <= 100%", "holds for every run"},
		{"chat.error_rate <= 1", "holds for every run"},
		{"error_rate >= 0", "holds for every run"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.expr, testSeries()...)
		if err == nil {
			t.Errorf("Parse(%q): no error", tt.expr)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `gate "`+strings.TrimSpace(tt.expr)+`"`) {
			t.Errorf("Parse(%q) error %q, want it to name the expression and say %q", tt.expr, err, tt.want)
		}
	}
}

// testSeries are named series as a scenario declares them.
func testSeries() []record.Series {
	var out []record.Series
	for _, d := range []struct{ name, expr, unit string }{
		{"cache_hit_rate", `ratio(increase(cache_total{result="hit"}), increase(cache_total))`, ""},
		{"db_p95", "quantile(0.95, db_query_duration_seconds)", ""},
		{"db_p99", "quantile(0.99, db_query_duration_seconds)", ""},
		{"db_pool_wait", "increase(db_pool_wait_seconds_total)", ""},
		{"db_pool_empty_acquires", "increase(db_pool_empty_total)", ""},
		{"rss_bytes", "max(process_resident_memory_bytes)", ""},
		{"goroutines", "max(go_goroutines)", "count"},
		{"orders_per_s", "rate(orders_total)", ""},
	} {
		s, err := ParseSeries(d.name, d.expr, d.unit)
		if err != nil {
			panic(err)
		}
		out = append(out, s)
	}
	return out
}

func fixtureRun() *record.Run {
	return &record.Run{
		Schema: record.Schema,
		Overall: record.Stats{
			Requests: 1000, Successes: 995, ErrorRate: 0.005,
			Rate: record.Rate{Target: 100, Achieved: 99.5},
			// All requests; the successful ones are a little slower, the
			// 5 failed ones fast.
			LatencyUS:           record.Latency{Min: 800, Mean: 39e3, P50: 19e3, P90: 89e3, P95: 118e3, P99: 399e3, P999: 900e3, Max: 1.2e6},
			ServiceTimeUS:       record.Latency{P95: 99e3},
			LatencyOKUS:         &record.Latency{Min: 900, Mean: 40e3, P50: 20e3, P90: 90e3, P95: 120e3, P99: 400e3, P999: 900e3, Max: 1.2e6},
			ServiceTimeOKUS:     &record.Latency{P95: 100e3},
			LatencyFailedUS:     &record.Latency{Min: 800, P95: 2e3, Max: 2e3},
			ServiceTimeFailedUS: &record.Latency{P95: 1e3},
		},
		Endpoints: map[string]record.Stats{
			"search": {Requests: 600, Successes: 600, LatencyUS: record.Latency{P99: 150e3}, Rate: record.Rate{Achieved: 60}},
			// As run.json was written before latencies were split by outcome:
			// search, with no failure, has them all the same; chat has not.
			"chat": {Requests: 400, Successes: 395, ErrorRate: 0.0125, LatencyUS: record.Latency{P99: 800e3}},
		},
		Plan: record.Plan{Series: testSeries()},
		Server: record.Server{
			// 3906.25 µs: exact in binary.
			Series:      map[string]float64{"cache_hit_rate": 0.75, "db_p95": 0.00390625, "db_pool_empty_acquires": 12},
			SeriesNotes: map[string]string{"db_p99": "quantile(0.99, db_query_duration_seconds): the histogram counted no observations during the measured window"},
		},
	}
}

// TestEvaluateParsed: a gate parsed once is evaluated against run after
// run (as abort gates are, every second), each time by that run's figures.
func TestEvaluateParsed(t *testing.T) {
	t.Parallel()
	g := MustParse("p95 < 200ms")
	fast, slow := fixtureRun(), fixtureRun()
	slow.Overall.LatencyOKUS = &record.Latency{P95: 300e3}
	for _, c := range []struct {
		run     *record.Run
		verdict string
	}{{fast, record.VerdictPass}, {slow, record.VerdictFail}, {fast, record.VerdictPass}, {&record.Run{}, record.VerdictUnknown}} {
		if r := g.Evaluate(Input{Run: c.run}); r.Verdict != c.verdict || r.Expr != "p95 < 200ms" {
			t.Errorf("%s %q (%s), want %s", r.Verdict, r.Expr, r.Message, c.verdict)
		}
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	run := fixtureRun()
	tests := []struct {
		expr    string
		verdict string
		value   float64 // when not unknown
		message string  // a part of the message
	}{
		{"p95 < 3s", record.VerdictPass, 120e3, "p95 (successful requests) is 120 ms, within < 3 s"},
		{"p95 < 100ms", record.VerdictFail, 120e3, "p95 (successful requests) is 120 ms, gate is < 100 ms"},
		// The populations.
		{"ok.p95 < 3s", record.VerdictPass, 120e3, "ok.p95 (successful requests) is 120 ms"},
		{"all.p95 < 119ms", record.VerdictPass, 118e3, "all.p95 (all requests) is 118 ms"},
		{"failed.p95 < 1ms", record.VerdictFail, 2e3, "failed.p95 (failed requests) is 2 ms"},
		{"failed.service_time.p95 < 2ms", record.VerdictPass, 1e3, ""},
		{"all.service_time.p95 < 99ms", record.VerdictFail, 99e3, ""},
		{"search.failed.p99 < 1s", record.VerdictUnknown, 0, "no failed requests were measured (600 requests, 600 succeeded)"},
		// A run.json from before the split: exact where nothing failed,
		// unknown where it cannot be told.
		{"search.ok.p99 < 200ms", record.VerdictPass, 150e3, ""},
		{"chat.p99 < 1s", record.VerdictUnknown, 0, "no latency of successful requests (written before latencies were split by outcome, and 5 of 400 requests failed)"},
		{"chat.all.p99 < 1s", record.VerdictPass, 800e3, "chat.all.p99 (all requests) is 800 ms"},
		// The boundary: < excludes it, <= includes it.
		{"p95 < 120ms", record.VerdictFail, 120e3, ""},
		{"p95 <= 120ms", record.VerdictPass, 120e3, ""},
		{"service_time.p95 < 110ms", record.VerdictPass, 100e3, ""},
		{"error_rate < 1%", record.VerdictPass, 0.005, "0.5 %"},
		{"chat.error_rate < 1%", record.VerdictFail, 0.0125, "chat.error_rate is 1.25 %"},
		{"cache_hit_rate > 60%", record.VerdictPass, 0.75, ""},
		{"cache_hit_rate > 80%", record.VerdictFail, 0.75, ""},
		{"search.p99 < 100ms", record.VerdictFail, 150e3, ""},
		{"search.rate >= 50/s", record.VerdictPass, 60, ""},
		{"requests >= 1000", record.VerdictPass, 1000, ""},
		// Named series, in their units: DB query time in seconds.
		{"db_p95 < 5ms", record.VerdictPass, 0.00390625, "db_p95 is 3.91 ms, within < 5 ms"},
		{"db_p95 < 3ms", record.VerdictFail, 0.00390625, ""},
		{"db_pool_empty_acquires <= 10", record.VerdictFail, 12, "db_pool_empty_acquires is 12, gate is <= 10"},
		{"db_p99 < 5ms", record.VerdictUnknown, 0, "the histogram counted no observations"},
		{"db_pool_wait < 1s", record.VerdictUnknown, 0, "the series db_pool_wait was not measured in this run"},
		{"chat.db_p95 < 5ms", record.VerdictUnknown, 0, "unknown metric"},
		// Absent: no such endpoint, a metric that needs a computation not done.
		{"nutrition.p99 < 1s", record.VerdictUnknown, 0, `no endpoint named "nutrition" in this run (endpoints: chat, search)`},
		{"recovery_time < 30s", record.VerdictUnknown, 0, "recovery_time was not computed"},
		// A parse error is unknown too, never a pass.
		{"p95 < 3", record.VerdictUnknown, 0, "a latency needs a unit"},
	}
	for _, tt := range tests {
		got := Evaluate(run, []string{tt.expr})
		if len(got) != 1 {
			t.Fatalf("Evaluate(%q): %d gates", tt.expr, len(got))
		}
		g := got[0]
		if g.Verdict != tt.verdict {
			t.Errorf("%q: verdict %s, want %s (%s)", tt.expr, g.Verdict, tt.verdict, g.Message)
		}
		if tt.verdict == record.VerdictUnknown {
			if g.Value != nil {
				t.Errorf("%q: unknown gate has value %v", tt.expr, *g.Value)
			}
			if !strings.Contains(g.Message, tt.expr) {
				t.Errorf("%q: unknown message %q does not name the gate", tt.expr, g.Message)
			}
		} else if g.Value == nil || *g.Value != tt.value {
			t.Errorf("%q: value %v, want %g", tt.expr, g.Value, tt.value)
		}
		if !strings.Contains(g.Message, tt.message) {
			t.Errorf("%q: message %q, want it to contain %q", tt.expr, g.Message, tt.message)
		}
	}
}

func TestEvaluateAbsentServerMetric(t *testing.T) {
	t.Parallel()
	run := fixtureRun()
	delete(run.Server.Series, "cache_hit_rate")
	run.Server.SeriesNotes["cache_hit_rate"] = "increase(cache_total), which cache_hit_rate divides by, was 0 during the measured window"
	g := Evaluate(run, []string{"cache_hit_rate > 60%"})[0]
	if g.Verdict != record.VerdictUnknown || !strings.Contains(g.Message, "cache_hit_rate > 60%") || !strings.Contains(g.Message, "which cache_hit_rate divides by, was 0") {
		t.Errorf("absent cache hit rate: %+v", g)
	}
	// A run that declares no such series: unknown, naming what it declares.
	run.Plan.Series = nil
	g = Evaluate(run, []string{"cache_hit_rate > 60%"})[0]
	if g.Verdict != record.VerdictUnknown || !strings.Contains(g.Message, "declares none") {
		t.Errorf("undeclared cache hit rate: %+v", g)
	}
	// No requests measured: a latency gate cannot pass on zeros.
	empty := &record.Run{Schema: record.Schema}
	g = Evaluate(empty, []string{"p95 < 3s"})[0]
	if g.Verdict != record.VerdictUnknown || !strings.Contains(g.Message, "no requests") {
		t.Errorf("empty run: %+v", g)
	}
	// Every request failed, fast: a gate on successful requests has nothing
	// to judge and is unknown (exit 2), never a pass; all. reads them.
	down := &record.Run{Schema: record.Schema, Overall: record.Stats{
		Requests: 300, LatencyUS: record.Latency{P95: 2e3}, LatencyFailedUS: &record.Latency{P95: 2e3},
	}}
	got := Evaluate(down, []string{"p95 < 3s", "service_time.p95 < 3s", "all.p95 < 3s"})
	if g := got[0]; g.Verdict != record.VerdictUnknown || g.Value != nil || !strings.Contains(g.Message, "no successful requests were measured (300 requests, 0 succeeded)") {
		t.Errorf("no success: %+v", g)
	}
	if got[1].Verdict != record.VerdictUnknown || got[2].Verdict != record.VerdictPass {
		t.Errorf("no success: %+v", got[1:])
	}
}

func TestEvaluateExtra(t *testing.T) {
	t.Parallel()
	in := Input{
		Run:   fixtureRun(),
		Extra: map[string]float64{MetricRecoveryTime: 12, MetricP95Drift: 0.25},
		Why:   map[string]string{MetricMemoryGrowth: "the target reported no resident memory"},
	}
	got := EvaluateInput(in, []string{"recovery_time < 30s", "p95_drift < 10%", "memory_growth < 10MB/h"})
	want := []string{record.VerdictPass, record.VerdictFail, record.VerdictUnknown}
	for i, g := range got {
		if g.Verdict != want[i] {
			t.Errorf("%s: %s, want %s (%s)", g.Expr, g.Verdict, want[i], g.Message)
		}
	}
	if !strings.Contains(got[2].Message, "no resident memory") {
		t.Errorf("memory growth message %q does not say why", got[2].Message)
	}
}

func TestVerdict(t *testing.T) {
	t.Parallel()
	p := record.Gate{Verdict: record.VerdictPass}
	f := record.Gate{Verdict: record.VerdictFail}
	u := record.Gate{Verdict: record.VerdictUnknown}
	tests := []struct {
		gates []record.Gate
		want  string
	}{
		{nil, record.VerdictPass},
		{[]record.Gate{p, p}, record.VerdictPass},
		{[]record.Gate{p, f}, record.VerdictFail},
		{[]record.Gate{p, u}, record.VerdictUnknown},
		// A fail outranks an unknown, in either order (issue 19): the run
		// failed whatever the gate that could not be evaluated would say.
		{[]record.Gate{f, u}, record.VerdictFail},
		{[]record.Gate{u, p, f}, record.VerdictFail},
		{[]record.Gate{p, {Verdict: "maybe"}}, record.VerdictUnknown},
		{[]record.Gate{{Verdict: "maybe"}, f}, record.VerdictFail},
	}
	for i, tt := range tests {
		if got := Verdict(tt.gates); got != tt.want {
			t.Errorf("case %d: %s, want %s", i, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    float64
		unit string
		want string
	}{
		{870, "us", "870 µs"},
		{12345, "us", "12.3 ms"},
		{2.1e6, "us", "2.1 s"},
		{0.0123, "ratio", "1.23 %"},
		{99.54, "rps", "99.5/s"},
		{1000, "count", "1000"},
		{12, "s", "12 s"},
		{3 << 20, "bytes/h", "3 MiB/h"},
	}
	for _, tt := range tests {
		if got := Format(tt.v, tt.unit); got != tt.want {
			t.Errorf("Format(%g, %s) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}

func TestEvaluateUnbounded(t *testing.T) {
	t.Parallel()
	in := Input{Run: fixtureRun(), Extra: map[string]float64{MetricRecoveryTime: math.Inf(1)}}
	g := EvaluateInput(in, []string{"recovery_time < 30s"})[0]
	if g.Verdict != record.VerdictFail || g.Value != nil || !strings.Contains(g.Message, "never reached") {
		t.Errorf("never recovered: %+v", g)
	}
}

// FuzzParse checks that Parse never panics, and that what it accepts it
// can evaluate: a parsed gate always gives a verdict.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"p95 < 3s", "error_rate < 1%", "search.p99.9 <= 100ms", "rate >= 10/s", "memory_growth < 5MB/h", "p95 <", "<", "a.b.c > 1e3"} {
		f.Add(s)
	}
	run := fixtureRun()
	f.Fuzz(func(t *testing.T, expr string) {
		g, err := Parse(expr)
		if err != nil {
			if !strings.Contains(err.Error(), "gate ") {
				t.Errorf("error %q does not name the gate", err)
			}
			return
		}
		r := g.Evaluate(Input{Run: run})
		switch r.Verdict {
		case record.VerdictPass, record.VerdictFail, record.VerdictUnknown:
		default:
			t.Errorf("%q: verdict %q", expr, r.Verdict)
		}
	})
}

func ExampleParse() {
	g, err := Parse("nutrition_search.p99 < 100ms")
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Endpoint, g.Metric, g.Op, g.Threshold, g.Unit)
	// Output: nutrition_search p99 < 100000 us
}

// TestEvaluateFlows: gates name steps like endpoints, a flow's iterations
// as "<flow>.iteration", and checks as the share that passed.
func TestEvaluateFlows(t *testing.T) {
	t.Parallel()
	run := &record.Run{
		Schema:  record.Schema,
		Overall: record.Stats{Requests: 300, Successes: 297, ChecksPassed: 990, ChecksFailed: 10},
		Endpoints: map[string]record.Stats{
			"buyer.login": {Requests: 100, Successes: 100, LatencyUS: record.Latency{P95: 400e3}, ChecksPassed: 100},
			"plain":       {Requests: 10, Successes: 10},
		},
		Flows: map[string]record.FlowStats{"buyer": {
			Steps:     []string{"buyer.login"},
			Iteration: record.Stats{Requests: 100, Successes: 97, ErrorRate: 0.03, LatencyUS: record.Latency{P95: 2.6e6}, LatencyOKUS: &record.Latency{P95: 2.5e6}, ChecksPassed: 290, ChecksFailed: 10},
		}},
	}
	for _, tt := range []struct {
		expr    string
		verdict string
		message string
	}{
		{"buyer.login.p95 < 500ms", record.VerdictPass, "buyer.login.p95 (successful requests) is 400 ms"},
		// Of the completed iterations, as a latency gate reads successful requests.
		{"buyer.iteration.p95 < 3s", record.VerdictPass, "buyer.iteration.p95 (successful requests) is 2.5 s"},
		{"buyer.iteration.all.p95 < 2.55s", record.VerdictFail, "2.6 s"},
		{"buyer.iteration.p95 < 2s", record.VerdictFail, ""},
		{"buyer.iteration.error_rate < 1%", record.VerdictFail, "3 %"},
		{"checks >= 99%", record.VerdictPass, "checks is 99 %"},
		{"checks > 99.5%", record.VerdictFail, ""},
		{"buyer.iteration.checks >= 96%", record.VerdictPass, "96.67 %"},
		{"buyer.login.checks > 99%", record.VerdictPass, "100 %"},
		{"plain.checks > 99%", record.VerdictUnknown, "no check ran"},
		{"seller.iteration.p95 < 3s", record.VerdictUnknown, "buyer.iteration, buyer.login, plain"},
	} {
		g := Evaluate(run, []string{tt.expr})[0]
		if g.Verdict != tt.verdict || !strings.Contains(g.Message, tt.message) {
			t.Errorf("%s: %s, %q; want %s with %q", tt.expr, g.Verdict, g.Message, tt.verdict, tt.message)
		}
	}
}
