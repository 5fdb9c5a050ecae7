package scenarios

import (
	"errors"
	"strings"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// Load models.
const (
	// ModelOpen paces requests by arrival rate, whatever the target's latency.
	ModelOpen = "open"
	// ModelClosed runs a number of concurrent users, each waiting for its
	// response (and think time) before sending the next request.
	ModelClosed = "closed"
)

// Data picks.
const (
	PickRandom     = "random"     // uniform draw, the default
	PickSequential = "sequential" // in order, wrapping around
	PickUnique     = "unique"     // in order, each value at most once
	// PickZipf draws skewed toward the first values, as production traffic
	// is toward hot users and items: the rank is log-uniform, so the first
	// 1% of a range of 50,000 takes about 60% of the draws.
	PickZipf = "zipf"
)

// HealthNone as Target.Health turns the check before the attack off.
const HealthNone = "none"

// Defaults applied by Load when a field is absent.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultMaxWorkers     = 1000
	DefaultMaxConnections = 1000
	DefaultScrapeInterval = 5 * time.Second
	DefaultMethod         = "GET"
)

// Scenario is one load test: what to hit, how hard, and what must hold.
type Scenario struct {
	// Name identifies the scenario in results directory names and reports.
	Name string `yaml:"name"`
	// Description is one human sentence about what the scenario models.
	Description string `yaml:"description"`
	// Target is the system under test.
	Target Target `yaml:"target"`
	// Load is the shape of the load over time.
	Load LoadSpec `yaml:"load"`
	// Data are named value sources that request templates refer to as {{name}}.
	Data map[string]DataSource `yaml:"data"`
	// Setup requests are sent once, in order, before the load; any failure
	// stops the run before the attack.
	Setup []Request `yaml:"setup"`
	// Requests is the weighted mix the load draws from.
	Requests []Request `yaml:"requests"`
	// Flows are user journeys drawn from the same mix as requests: each
	// draw of a flow is one iteration of its steps, in order.
	Flows []Flow `yaml:"flows"`
	// Gates are the conditions the run must meet, e.g. "p95 < 3s", each
	// parsed in the gate language when the scenario is loaded (Gate.Parsed).
	// A gate is written as its expression, or as {expr: "error_rate < 5%",
	// abort: {window: 10s, grace: 5s}} to end the run early when it fails.
	// Overrides.Gates replaces them (GatesOverridden).
	Gates []Gate `yaml:"gates"`
	// Metrics is where the target exposes Prometheus metrics, if anywhere.
	Metrics Metrics `yaml:"metrics"`
	// Faults are drills injected during the run (Redis down, PostgreSQL
	// stopped, latency added …), each undone when its time is up.
	Faults []Fault `yaml:"faults"`
	// SLO is what a streamed request must meet to count toward goodput
	// (the gate metric goodput); see SLO.
	SLO SLO `yaml:"slo"`

	// Source is where the scenario came from: a file path or "builtin:NAME".
	Source string `yaml:"-"`
	// Shard is set by Apply when this run is one shard of several.
	Shard Shard `yaml:"-"`
	// allowLong lets the plan exceed MaxPlanDuration and MaxPlanRequests
	// (set by Apply from Overrides.AllowLong).
	allowLong bool
	// planHash is the whole plan's hash, kept by Apply before it divides
	// the load into a shard.
	planHash string
	// writesChecked is Options.WritesChecked: the caller counts the
	// target's writes after the run.
	writesChecked bool
	// ownGates are the scenario's own gates once Overrides.Gates replaced
	// them (gatesOverridden).
	ownGates        []Gate
	gatesOverridden bool
	// dir resolves relative data file paths (the scenario file's directory).
	dir string
	// pos maps field paths ("load.stages[1].rate") to where they were written.
	pos map[string]Pos
}

// Target is the HTTP system under test.
type Target struct {
	// BaseURL prefixes every request path, e.g. http://127.0.0.1:8080.
	BaseURL string `yaml:"base_url"`
	// Headers are sent with every request (and the health check).
	Headers map[string]string `yaml:"headers"`
	// SecretHeaders names headers whose values are credentials, besides
	// those SecretHeader always counts as such: their values are sent but
	// never recorded in run.json or printed (SecretHeader).
	SecretHeaders []string `yaml:"secret_headers"`
	// Timeout bounds each request; default 30s.
	Timeout Duration `yaml:"timeout"`
	// Health is checked before the attack, so that an unreachable target is
	// reported before anything is sent: a path (e.g. /api/health) must answer
	// 2xx; absent, the base URL must answer HTTP with any status; "none"
	// (HealthNone) skips the check.
	Health string `yaml:"health"`
	// TLS configures HTTPS: trusted CAs, a client certificate, verification.
	TLS TLS `yaml:"tls"`
	// HTTP2 negotiates HTTP/2 over TLS when the server offers it (ALPN);
	// default true. False keeps HTTP/1.1.
	HTTP2 *bool `yaml:"http2"`
	// Redirects is how many redirects a request follows; default 10. With
	// 0 a 3xx response is the answer (and counts as success by default).
	Redirects *int `yaml:"redirects"`
	// MaxBody bounds how much of a body checks and extracts read; default
	// 1MiB. The rest is read and discarded.
	MaxBody Size `yaml:"max_body"`
}

// TLS is the client side of HTTPS connections.
type TLS struct {
	// InsecureSkipVerify accepts any server certificate (self-signed, wrong
	// name): for test environments only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// CAFile is a PEM file of certificates to trust besides the system's,
	// relative to the scenario file.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the client certificate and its key (PEM),
	// for mutual TLS; both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName overrides the name the server certificate is checked
	// against (and sent as SNI).
	ServerName string `yaml:"server_name"`
}

// HTTP2On reports whether HTTP/2 may be negotiated.
func (t Target) HTTP2On() bool { return t.HTTP2 == nil || *t.HTTP2 }

// RedirectLimit is how many redirects a request follows.
func (t Target) RedirectLimit() int {
	if t.Redirects == nil {
		return DefaultRedirects
	}
	return *t.Redirects
}

// LoadSpec is the shape of the load.
type LoadSpec struct {
	// Model is "open" (arrival rate, the default) or "closed" (concurrent users).
	Model string `yaml:"model"`
	// Warmup is the leading part of the stages excluded from every statistic.
	Warmup Duration `yaml:"warmup"`
	// MaxWorkers caps requests in flight (open model); default 1000. When it
	// binds, latency stays corrected: it is measured from the intended send time.
	MaxWorkers int `yaml:"max_workers"`
	// MaxConnections caps connections to the target; default 1000.
	MaxConnections int `yaml:"max_connections"`
	// ThinkTime is the pause of each closed-model user between its requests
	// (and between its flow iterations); a constant for requests, any
	// distribution for flows.
	ThinkTime Think `yaml:"think_time"`
	// GracefulStop is how long the flow iterations under way when the
	// stages end may go on (default 30s); a step due after it is not sent
	// and its iteration counts as cut. Flows only.
	GracefulStop Duration `yaml:"graceful_stop"`
	// Stages follow each other; together they are the run's duration.
	Stages []Stage `yaml:"stages"`
}

// Level is a stage's load in the model's unit: its users in the closed
// model, its rate in requests per second in the open one. Every reader of a
// stage's level (the runner's schedule, run.json's plan, the capacity search)
// takes it from here.
func (l *LoadSpec) Level(st Stage) Ramp {
	if l.Model == ModelClosed {
		return st.Users
	}
	return st.Rate
}

// Stage is one stretch of the load: a constant level or a linear ramp.
type Stage struct {
	// Duration of the stage.
	Duration Duration `yaml:"duration"`
	// Rate in requests per second, "50/s" or a ramp "0 -> 50/s" (open model).
	Rate Ramp `yaml:"rate"`
	// Users, "100" or a ramp "0 -> 100" (closed model).
	Users Ramp `yaml:"users"`
}

// DataSource is one named source of values for templates. Exactly one of
// Range, Values, File, CSV or JSON is set. A CSV without Column, and a JSON
// array of objects, give whole rows: templates name a field, {{account.user}},
// and all fields of one draw come from the same row.
type DataSource struct {
	// Range is an inclusive integer range [lo, hi].
	Range []int64 `yaml:"range"`
	// Values is an inline list.
	Values []string `yaml:"values"`
	// File holds one value per non-empty line, relative to the scenario file.
	File string `yaml:"file"`
	// CSV is a CSV file (with a header row) relative to the scenario file;
	// Column names the column to take, or none for whole rows.
	CSV    string `yaml:"csv"`
	Column string `yaml:"column"`
	// JSON is a JSON file relative to the scenario file: an array of
	// objects (rows, every object with the same keys) or of scalars.
	JSON string `yaml:"json"`
	// Pick is random (default), sequential, unique or zipf.
	Pick string `yaml:"pick"`
	// Per is how long a flow keeps a draw: iteration (default) or user.
	Per string `yaml:"per"`
}

// Request is one request of the mix (or of setup).
type Request struct {
	// Name labels the endpoint in results; it must be unique and may hold
	// letters, digits, '_', '-' and '.'.
	Name string `yaml:"name"`
	// Weight is the request's relative share of the mix; > 0.
	Weight float64 `yaml:"weight"`
	// Method is the HTTP method; default GET.
	Method string `yaml:"method"`
	// Path is appended to the target's base URL; may hold {{data}} templates.
	Path string `yaml:"path"`
	// Body is sent as is after templating; may hold {{data}} templates.
	Body string `yaml:"body"`
	// Headers are added to the target's headers for this request.
	Headers map[string]string `yaml:"headers"`
	// Expect lists the status codes that count as success; default 200–399.
	Expect []int `yaml:"expect"`
	// Stream reads the response as a stream of events (StreamSSE or
	// StreamChunks) and measures its tokens: TTFT, ITL, TPOT, output
	// tokens. Empty: the body is read whole.
	Stream string `yaml:"stream"`
	// StreamContent is the JSON path of an event's content; default
	// DefaultStreamContent. Streams only.
	StreamContent string `yaml:"stream_content"`
}

// Metrics is the target's Prometheus endpoint, and the series of it the
// run measures and draws.
type Metrics struct {
	// URL of the Prometheus text exposition; empty disables scraping.
	URL string `yaml:"url"`
	// Interval between scrapes during the run; default 5s.
	Interval Duration `yaml:"interval"`
	// Series are the target's named series, by name: an aggregation of a
	// metric of URL in the series language of package gate (increase,
	// rate, max, last, mean, quantile, or ratio of two), which the runner
	// measures over the measured window and per interval, gates name
	// (cache_hit_rate > 60%) and charts draw. A series is written as its
	// expression, or as {expr, unit, title, headline}.
	Series map[string]Series `yaml:"series"`
	// Charts draw named series together over the run, in the report.
	Charts []Chart `yaml:"charts"`
}

// Series is one named series of the target's metrics.
type Series struct {
	// Expr is the series expression, e.g.
	// ratio(increase(hits_total), increase(lookups_total)) or
	// quantile(0.95, db_query_duration_seconds).
	Expr string `yaml:"expr"`
	// Unit is ratio, seconds, bytes, count or per_second: what a gate's
	// threshold and the report's figures are written in. Absent, it is
	// inferred (gate.ParseSeries): a ratio is a ratio, a rate per second, a
	// metric named *_seconds a duration, *_bytes a size, others a count.
	Unit string `yaml:"unit"`
	// Title names the series in the report; its name when absent.
	Title string `yaml:"title"`
	// Headline puts the series among the run's key figures: a
	// comparison's before/after table, a capacity search's steps.
	Headline bool `yaml:"headline"`
	// Better is higher or lower: which way the series improves, which a
	// comparison says of a change. Absent, a change is not judged.
	Better string `yaml:"better"`
}

// shorthandField lets a series be written as a plain string: its Expr.
func (Series) shorthandField() string { return "expr" }

// Chart is one chart of named series, which share one unit.
type Chart struct {
	// Title is the chart's heading.
	Title string `yaml:"title"`
	// Series names the named series drawn, in order (metrics.series, or
	// the harness's rss_bytes).
	Series []string `yaml:"series"`
}

// Pos is a position in the scenario source, 1-based.
type Pos struct {
	Line, Column int
}

// Gate is one condition the run must meet.
type Gate struct {
	// Expr is the gate expression, e.g. "p95 < 3s"; a gate written as a
	// plain string is its Expr.
	Expr string `yaml:"expr"`
	// Abort, when set, ends the run as soon as the gate fails over its
	// sliding window (after the grace): status aborted, the gate as the
	// reason.
	Abort *Abort `yaml:"abort"`

	// parsed is Expr in the gate language, set when the scenario is
	// validated (Load, Parse, Apply, Validate).
	parsed gate.Gate
}

// shorthandField lets a gate be written as a plain string: its Expr.
func (Gate) shorthandField() string { return "expr" }

// Parsed is the gate's expression as the gate language parsed it when the
// scenario was loaded, or when Apply put the gate in place; the zero Gate
// for a gate of a scenario never validated.
func (g Gate) Parsed() gate.Gate { return g.parsed }

// parse parses Expr once, naming the scenario's named series (declared):
// a gate already parsed from the same expression is not parsed again (and
// not written, so that validating a loaded scenario again is safe from
// several goroutines).
func (g *Gate) parse(declared []record.Series) (gate.Gate, error) {
	e := strings.TrimSpace(g.Expr)
	if e == "" {
		return gate.Gate{}, errors.New("empty gate")
	}
	if g.parsed.Expr == e {
		return g.parsed, nil
	}
	p, err := gate.Parse(e, declared...)
	if err != nil {
		return gate.Gate{}, err
	}
	g.parsed = p
	return p, nil
}

// Abort says when a failing gate ends the run.
type Abort struct {
	// Window is how far back the gate is evaluated, every second; default
	// DefaultAbortWindow, at most MaxAbortWindow.
	Window Duration `yaml:"window"`
	// Grace is how long after the warm-up the gate is first evaluated;
	// default 0. Until a whole window has passed it is evaluated over what
	// there is.
	Grace Duration `yaml:"grace"`
}

// Abort gate bounds.
const (
	DefaultAbortWindow = 10 * time.Second
	// MaxAbortWindow bounds the window: the runner keeps a histogram per
	// second of it.
	MaxAbortWindow = time.Minute
)

// GateExprs lists the expressions of the gates the run is judged by, in
// order: Overrides.Gates when they replaced the scenario's own.
func (s *Scenario) GateExprs() []string { return exprsOf(s.Gates) }

// ParsedGates lists the gates the run is judged by, parsed (Gate.Parsed):
// what the runner measures (their target series) and aborts on.
func (s *Scenario) ParsedGates() []gate.Gate {
	out := make([]gate.Gate, len(s.Gates))
	for i, g := range s.Gates {
		out[i] = g.parsed
	}
	return out
}

// GatesOverridden reports whether Overrides.Gates replaced the scenario's
// own gates (run.json's judged.source is then "override").
func (s *Scenario) GatesOverridden() bool { return s.gatesOverridden }

// OwnGateExprs lists the scenario's own gate expressions, as its source
// wrote them, also when Overrides.Gates replaced them (run.json's
// plan.gates).
func (s *Scenario) OwnGateExprs() []string {
	if s.gatesOverridden {
		return exprsOf(s.ownGates)
	}
	return exprsOf(s.Gates)
}

func exprsOf(gates []Gate) []string {
	out := make([]string, len(gates))
	for i, g := range gates {
		out[i] = g.Expr
	}
	return out
}
