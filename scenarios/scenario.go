package scenarios

import "time"

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
	// Gates are the conditions the run must meet, e.g. "p95 < 3s"; they are
	// parsed and evaluated by the report package.
	Gates []string `yaml:"gates"`
	// Metrics is where the target exposes Prometheus metrics, if anywhere.
	Metrics Metrics `yaml:"metrics"`

	// Source is where the scenario came from: a file path or "builtin:NAME".
	Source string `yaml:"-"`
	// Shard is set by Apply when this run is one shard of several.
	Shard Shard `yaml:"-"`
	// planHash is the whole plan's hash, kept by Apply before it divides
	// the load into a shard.
	planHash string
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
	// Timeout bounds each request; default 30s.
	Timeout Duration `yaml:"timeout"`
	// Health is checked before the attack, so that an unreachable target is
	// reported before anything is sent: a path (e.g. /api/health) must answer
	// 2xx; absent, the base URL must answer HTTP with any status; "none"
	// (HealthNone) skips the check.
	Health string `yaml:"health"`
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
	// ThinkTime is the pause of each closed-model user between its requests.
	ThinkTime Duration `yaml:"think_time"`
	// Stages follow each other; together they are the run's duration.
	Stages []Stage `yaml:"stages"`
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
// Range, Values, File or CSV is set.
type DataSource struct {
	// Range is an inclusive integer range [lo, hi].
	Range []int64 `yaml:"range"`
	// Values is an inline list.
	Values []string `yaml:"values"`
	// File holds one value per non-empty line, relative to the scenario file.
	File string `yaml:"file"`
	// CSV is a CSV file (with a header row) relative to the scenario file;
	// Column names the column to take.
	CSV    string `yaml:"csv"`
	Column string `yaml:"column"`
	// Pick is random (default), sequential, unique or zipf.
	Pick string `yaml:"pick"`
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
}

// Metrics is the target's Prometheus endpoint.
type Metrics struct {
	// URL of the Prometheus text exposition; empty disables scraping.
	URL string `yaml:"url"`
	// Interval between scrapes during the run; default 5s.
	Interval Duration `yaml:"interval"`
}

// Pos is a position in the scenario source, 1-based.
type Pos struct {
	Line, Column int
}
