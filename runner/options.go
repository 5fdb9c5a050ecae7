package runner

import (
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// Defaults of the options.
const (
	// DefaultResultsRoot is where run directories are created.
	DefaultResultsRoot = "results"
	// DefaultPreflightTimeout bounds the health check before the attack.
	DefaultPreflightTimeout = 3 * time.Second
	// DefaultProgressEvery is how often a plain (non-terminal) progress line
	// is printed.
	DefaultProgressEvery = 5 * time.Second
	// DefaultCheckpointEvery is how often a run under way writes run.json
	// (status running) and timeline.json.
	DefaultCheckpointEvery = 5 * time.Second
	// AttackGCPercent is the garbage collector's target the CLI gives
	// WithGCPercent (GOGC=300 rather than 100). The runner's live heap is
	// small and constant (histograms, one second of counters), while every
	// request allocates a few kilobytes in net/http and vegeta that die at
	// once. Collecting less often took loadgate's CPU per request against a
	// trivial endpoint from about 41 to 36 µs (mean of three 5 s runs each,
	// on a shared 2-core machine), for about 8 MB more memory that stays
	// flat over a run.
	AttackGCPercent = 300
)

// Option configures Run.
type Option func(*config)

type config struct {
	root     string
	out      string
	progress io.Writer
	// console is where progress goes (the writer under an escaping one),
	// and log is console escaped for the terminal (redact.TerminalWriter),
	// for every line but the progress line itself; both set by Run.
	console          *console
	log              io.Writer
	progressTTY      *bool
	progressEvery    time.Duration
	preflightTimeout time.Duration
	version, commit  string
	interval         time.Duration
	clock            clock
	startAt          time.Time
	metrics          prometheus.Registerer
	checkpointEvery  time.Duration
	checkpoint       Checkpoint
	faults           map[string]Injector
	gcPercent        int

	// judge evaluates an abort gate over its window; nil: the gate's own
	// evaluation (gate.Gate.Evaluate). Only this package's tests set it,
	// to see what each window held.
	judge func(g gate.Gate, window *record.Run) record.Gate
}

func newConfig(opts []Option) config {
	c := config{
		root:             DefaultResultsRoot,
		progressEvery:    DefaultProgressEvery,
		preflightTimeout: DefaultPreflightTimeout,
		interval:         time.Second,
		clock:            wallClock(),
		checkpointEvery:  DefaultCheckpointEvery,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithFaults gives the drills of the scenario's faults, by fault label
// (scenarios.Fault.Label): each is injected at its time and undone when its
// duration is up, when the run ends, fails or is interrupted. A scenario
// with faults needs a drill for every one. The map's values may be of any
// type that is an Injector (package faults gives map[string]faults.Action).
func WithFaults[I Injector](by map[string]I) Option {
	return func(c *config) {
		c.faults = make(map[string]Injector, len(by))
		for name, inj := range by {
			c.faults[name] = inj
		}
	}
}

// WithGCPercent sets the garbage collector's target (debug.SetGCPercent)
// for the length of the attack and restores the previous one after. It is
// process-wide, so the caller chooses it: default 0, which leaves the
// setting alone; loadgate's CLI gives AttackGCPercent unless GOGC is set.
func WithGCPercent(percent int) Option { return func(c *config) { c.gcPercent = percent } }

// WithResultsRoot sets the directory run directories are created in;
// default "results".
func WithResultsRoot(dir string) Option { return func(c *config) { c.root = dir } }

// WithOutDir sets the exact run directory (it must be absent or empty). The
// "latest" link of the results root is updated only when the directory is in
// the root.
func WithOutDir(dir string) Option { return func(c *config) { c.out = dir } }

// WithProgress prints progress to w: a live line when w is a terminal, a
// plain line every few seconds otherwise; the faults' lines too, escaped for
// the terminal (redact.Terminal). w may be a redact.TerminalWriter: the live
// line's own control sequences go to the writer under it. Default: no
// progress.
func WithProgress(w io.Writer) Option { return func(c *config) { c.progress = w } }

// WithProgressTTY forces the live (true) or plain (false) progress style.
func WithProgressTTY(tty bool) Option { return func(c *config) { c.progressTTY = &tty } }

// WithProgressEvery sets the interval of plain progress lines; default 5s.
func WithProgressEvery(d time.Duration) Option { return func(c *config) { c.progressEvery = d } }

// WithPreflightTimeout bounds the health check; default 3s.
func WithPreflightTimeout(d time.Duration) Option {
	return func(c *config) { c.preflightTimeout = d }
}

// WithVersion records loadgate's version in run.json.
func WithVersion(v string) Option { return func(c *config) { c.version = v } }

// WithCommit records the git commit under test in run.json; default: the
// commit checked out in the working directory (git rev-parse --short HEAD),
// else the commit the binary was built from, when known.
func WithCommit(commit string) Option { return func(c *config) { c.commit = commit } }

// WithStartAt makes Run start the attack at t (after the preflight and the
// setup requests), so that shards on several machines run the same schedule
// together; run.json records t as start_at and the actual start as started.
// A t already past starts at once, with a warning saying how late. Default:
// start as soon as the setup is done.
func WithStartAt(t time.Time) Option { return func(c *config) { c.startAt = t } }

// EnvStartAt is the environment variable ParseStartAt reads when no time is
// given (the default of loadgate's --start-at).
const EnvStartAt = "LOADGATE_START_AT"

// MaxStartAhead is how far ahead ParseStartAt accepts a common start
// unless the caller allows more (--allow-long): a start further off is
// more likely a typo than a plan.
const MaxStartAhead = 24 * time.Hour

// ParseStartAt reads the common start of WithStartAt: s, or $LOADGATE_START_AT
// (through getenv) when s is empty; both empty is the zero time, no common
// start. It is an RFC 3339 time, no more than MaxStartAhead after now unless
// allowLong; the error names the flag or the variable it came from.
func ParseStartAt(s string, getenv func(string) string, now time.Time, allowLong bool) (time.Time, error) {
	name := "--start-at"
	if s == "" {
		s, name = getenv(EnvStartAt), "$"+EnvStartAt
	}
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", name, s)
	}
	if ahead := t.Sub(now); ahead > MaxStartAhead && !allowLong {
		return time.Time{}, fmt.Errorf("%s %q is %s ahead, over %s: if that is meant, say so with --allow-long", name, s, aheadText(t, now), MaxStartAhead)
	}
	return t, nil
}

// aheadText says how far t is after now: a duration, or days when over two
// (a time.Duration saturates at 292 years).
func aheadText(t, now time.Time) string {
	if d := t.Sub(now); d <= 48*time.Hour {
		return d.String()
	}
	days := t.Unix()/86400 - now.Unix()/86400
	return fmt.Sprintf("%d days", days)
}

// Checkpoint receives a snapshot of a run under way, for its run directory
// dir: run.json's content with status "running" and the timeline so far.
// Both are the sink's own
// (nothing the runner changes later). It is called from a goroutine of its
// own, never concurrently with itself, and an error is reported in the
// run's warnings.
type Checkpoint func(dir string, run *record.Run, timeline *record.Timeline) error

// WithCheckpoint hands a snapshot of the run under way to sink as the
// attack starts and every WithCheckpointEvery, so that the owner of the run
// can write it (a run killed without warning then leaves what it
// measured). Default: none. The recording loop never waits for the sink:
// a snapshot due while the previous one is still with it is skipped.
func WithCheckpoint(sink Checkpoint) Option { return func(c *config) { c.checkpoint = sink } }

// WithCheckpointEvery sets how often WithCheckpoint's sink gets a snapshot;
// default 5s, 0 takes none.
func WithCheckpointEvery(d time.Duration) Option { return func(c *config) { c.checkpointEvery = d } }

// WithMetrics registers the run's live Prometheus metrics on reg (names in
// docs/CONTRACT.md, "Live metrics"), labelled with the run id and shard;
// the caller serves reg while the run lasts. Give each run a registry of
// its own: a second run on the same one fails to register. Default: none.
func WithMetrics(reg prometheus.Registerer) Option { return func(c *config) { c.metrics = reg } }
