// Package record is the results contract: what a run directory holds and how
// it is read (DESIGN.md, "Results directory (schema 1)"). The runner measures
// into its types, the one-run owner writes them, the report and the history
// read them.
//
// It holds the types of run.json, timeline.json and capacity.json, the names
// of the files in a run directory, atomic write helpers and strict, bounded
// readers (regular files only, each with a size limit), the interval logs'
// tags, writer and reader (hlog.go), and how shard runs add up into one
// (Merge, and the Add methods beside the types it sums). It knows nothing
// about HTTP, scenarios, gates or rendering, and of histograms only how the
// logs store them and how they add.
package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// Schema is the version of the results format this package reads and writes.
const Schema = 1

// File names inside a run directory.
const (
	RunFile      = "run.json"
	TimelineFile = "timeline.json"
	HlogFile     = "latency.hlog"
	// ServiceHlogFile holds the uncorrected latency (service time) of the
	// whole measured window as one interval per series, in the same format
	// and tags as HlogFile; `loadgate merge` adds shards' service times from it.
	ServiceHlogFile = "service_time.hlog"
	ReportFile      = "report.html"
	SummaryFile     = "summary.md"
	JUnitFile       = "junit.xml"
	// LatestLink is the symlink in the results root that points at the newest run.
	LatestLink = "latest"
)

// MaxShards is the most shards one plan may be run as (`--shard i/N`,
// N <= MaxShards): what a merge accounts for is bounded by it, whatever a
// run.json claims.
const MaxShards = 1000

// Run statuses.
const (
	StatusCompleted = "completed"
	StatusAborted   = "aborted"
	StatusFailed    = "failed"
	// StatusRunning is the status of a checkpoint: run.json as written every
	// few seconds while the run is under way. Found after the run, it means
	// the run never finished (loadgate was killed): its figures cover the run
	// up to Ended, the last checkpoint.
	StatusRunning = "running"
)

// Gate verdicts.
const (
	VerdictPass    = "pass"
	VerdictFail    = "fail"
	VerdictUnknown = "unknown"
)

// Run is the content of run.json.
type Run struct {
	Schema      int       `json:"schema"`
	ID          string    `json:"id"`
	Scenario    string    `json:"scenario"`
	Description string    `json:"description,omitempty"`
	Status      string    `json:"status"`
	Target      string    `json:"target"`
	Profile     string    `json:"profile,omitempty"` // the target's profile when it reports one
	Started     time.Time `json:"started"`
	Ended       time.Time `json:"ended"`
	// Warmup is excluded from every statistic; the measured window starts after it.
	WarmupS float64 `json:"warmup_s"`
	Commit  string  `json:"commit,omitempty"`
	Host    string  `json:"host,omitempty"`
	Version string  `json:"version,omitempty"`
	Shard   string  `json:"shard,omitempty"` // "i/N" when the run was one shard of several
	// ShardIndex (1-based) and ShardCount say which shard of how many the
	// run was (`--shard i/N` or `--shard auto`); zero when it was not a shard.
	ShardIndex int `json:"shard_index,omitempty"`
	ShardCount int `json:"shard_count,omitempty"` // at most MaxShards
	// StartAt is the common start the run waited for (`--start-at`); Started
	// is when it actually started.
	StartAt *time.Time `json:"start_at,omitempty"`
	// PlanHash identifies the whole plan the run belongs to, computed before
	// sharding ("sha256:…"): `loadgate merge` merges only shards of one plan.
	PlanHash string `json:"plan_hash,omitempty"`
	// Abort says which gate ended the run early (status aborted).
	Abort *Abort `json:"abort,omitempty"`
	// Stopped says why the attack ended before its plan did, on its own
	// (unique data exhausted), neither interrupted nor aborted by a gate.
	Stopped *Stopped `json:"stopped,omitempty"`
	// Merged describes a run merged from shard runs by `loadgate merge`.
	Merged *Merged `json:"merged,omitempty"`

	Plan    Plan  `json:"plan"`
	Overall Stats `json:"overall"`
	// Generator says how well the generator kept its plan (open model).
	Generator *Generator       `json:"generator,omitempty"`
	Endpoints map[string]Stats `json:"endpoints"`
	// Flows holds each flow's iterations, by flow name; its steps are in
	// Endpoints.
	Flows  map[string]FlowStats `json:"flows,omitempty"`
	Server Server               `json:"server"`
	// Gates are the evaluated gates the run was judged by (Judged says
	// which expressions, from where); empty until a verdict is recorded.
	Gates []Gate `json:"gates"`
	// Judged records what decided the run's verdict; nil until one is
	// recorded (report.Judge, which trial calls for every run and merge).
	// Re-rendering (`loadgate report`) and `loadgate gate` use only this
	// record and Gates for the run.
	Judged *Judgement `json:"judged,omitempty"`
	// Faults are the fault drills of the run, as they happened (see Fault).
	Faults []Fault `json:"faults,omitempty"`
	// Writes compares the writes the target acknowledged with the rows
	// found afterwards (the reference target under loadgate scenario).
	Writes *Writes `json:"writes,omitempty"`
	// Warnings are said loudly by every report: generator saturation, an aborted
	// run, metrics that could not be scraped.
	Warnings []string `json:"warnings,omitempty"`
	// Expected is what the scenario's fault drills caused as planned, which
	// would be a warning otherwise: the restart of a target_restart or
	// target_kill drill, the scrapes that failed while it had the target
	// down. Reports show it as expected, not as a warning.
	Expected []string `json:"expected,omitempty"`
}

// Abort is an abort gate that failed and ended the run.
type Abort struct {
	// Gate is the gate as evaluated over the window when it failed.
	Gate Gate `json:"gate"`
	// AtS is when, in seconds since the attack started; WindowS the span
	// it was evaluated over, GraceS its grace after the warm-up.
	AtS     float64 `json:"at_s"`
	WindowS float64 `json:"window_s"`
	GraceS  float64 `json:"grace_s"`
}

// Stopped is an attack that ended on its own before its plan's end: AtS
// seconds after it started, of a plan of PlanS seconds (warm-up included).
type Stopped struct {
	AtS    float64 `json:"at_s"`
	PlanS  float64 `json:"plan_s"`
	Reason string  `json:"reason"`
}

// Unsent is the share of the plan's measured time the attack did not
// reach: 0 when it ran to the end.
func (s *Stopped) Unsent(warmupS float64) float64 {
	if s == nil || s.PlanS <= warmupS {
		return 0
	}
	return max(0, s.PlanS-max(s.AtS, warmupS)) / (s.PlanS - warmupS)
}

// Merged says which shard runs a merged run was made of.
type Merged struct {
	// Shards is the number of shard runs merged; Of is the plan's shard count.
	Shards int `json:"shards"`
	Of     int `json:"of"`
	// Partial is set when shards were missing or did not complete and the
	// merge was asked to go ahead anyway (--partial): the run did not send
	// its whole plan, and its verdict cannot be a pass.
	Partial bool `json:"partial,omitempty"`
	// Missing lists the shard indexes that are not in the merge.
	Missing []int `json:"missing,omitempty"`
	// StartSpreadS is the latest shard start minus the earliest, in seconds.
	StartSpreadS float64 `json:"start_spread_s"`
	// Starts lists each merged shard's actual start, by index.
	Starts []ShardStart `json:"starts"`
	// Gates are the gate expressions the shards were judged by in place of
	// the scenario's (run --shard i/N --gate …), which the merged run is
	// judged by too; absent when the shards were judged by the scenario's.
	Gates []string `json:"gates,omitempty"`
}

// ShardStart is one merged shard run.
type ShardStart struct {
	Index   int       `json:"index"`
	Run     string    `json:"run"` // the shard run's id
	Started time.Time `json:"started"`
	Status  string    `json:"status"`
}

// Plan is the scenario as resolved for this run (after env expansion,
// overrides and scaling), enough to redraw stage boundaries and re-evaluate gates.
type Plan struct {
	Model    string       `json:"model"` // "open" or "closed"
	Stages   []Stage      `json:"stages"`
	Requests []RequestMix `json:"requests"`
	// Flows are the scenario's user journeys, drawn from the same mix as
	// the requests (an open-model rate counts requests and flow iterations).
	Flows []FlowMix `json:"flows,omitempty"`
	Gates []string  `json:"gates"` // gate expressions, e.g. "p95 < 3s"
	// Series are the target's named series the run measured (the
	// scenario's metrics.series, and the harness's own, HarnessSeries),
	// as declared and parsed: what a gate names, what Merge measures again.
	Series []Series `json:"series,omitempty"`
	// Queries are the target series the gates write inline
	// (increase(orders_total) < 10), parsed: measured beside Series.
	Queries []SeriesQuery `json:"queries,omitempty"`
	// Charts are the scenario's charts of its named series.
	Charts  []Chart       `json:"charts,omitempty"`
	Timeout time.Duration `json:"timeout_ns,omitempty"`
	// Headers are the target's headers, each secret value (a credential:
	// scenarios.Target.SecretHeader) replaced by "xxxxx".
	Headers map[string]string `json:"headers,omitempty"`
	// Faults are the fault drills the scenario schedules.
	Faults []FaultPlan `json:"faults,omitempty"`
	// SLO is the scenario's slo, which goodput counts against; absent
	// without one.
	SLO *SLO `json:"slo,omitempty"`
}

// FaultPlan is one fault drill as scheduled: injected AtS seconds into the
// run, undone ForS seconds later (0: an instant fault).
type FaultPlan struct {
	Name    string  `json:"name"`
	Action  string  `json:"action"`
	Service string  `json:"service,omitempty"` // redis, postgres, target, or an exec label
	AtS     float64 `json:"at_s"`
	ForS    float64 `json:"for_s"`
}

// Fault is one fault drill of the run as it happened, and what the load
// measured during and after it. The runner writes the plan and the times;
// the report package adds the figures (it reads the interval log) when it
// finishes the run.
type Fault struct {
	FaultPlan
	// StartS is when the injection began, EndS when the fault was undone
	// (for an instant fault: when it was done), in seconds since the attack
	// started; nil when it did not happen (the run ended first).
	StartS *float64 `json:"start_s,omitempty"`
	EndS   *float64 `json:"end_s,omitempty"`
	// Injected is false when the injection failed (Error says why).
	Injected  bool   `json:"injected"`
	Error     string `json:"error,omitempty"`
	UndoError string `json:"undo_error,omitempty"`

	// Measured is filled in by the report package.
	Measured *FaultFigures `json:"measured,omitempty"`
}

// FaultFigures are a fault's effect on the load: during the window (the
// seconds it overlaps, measured seconds only) and the recovery after it.
type FaultFigures struct {
	Requests  int64    `json:"requests"`
	Errors    int64    `json:"errors"`
	ErrorRate float64  `json:"error_rate"`
	LatencyUS *Latency `json:"latency_us,omitempty"` // all requests of the window
	// Before is the level recovery is measured against: the measured
	// seconds before the fault (up to BaselineS of them, outside other
	// faults' windows).
	BeforeErrorRate float64 `json:"before_error_rate"`
	BeforeP95US     float64 `json:"before_p95_us"`
	// RecoveryS is the time from the fault's end until error rate and P95
	// were back within the tolerance for Tolerance.Seconds consecutive
	// seconds; nil with Recovered false when they never were.
	RecoveryS *float64 `json:"recovery_s"`
	Recovered bool     `json:"recovered"`
	Tolerance Recovery `json:"tolerance"`
	// Note says why a figure could not be computed.
	Note string `json:"note,omitempty"`
}

// Recovery is the stated tolerance of a recovery: a second is back when
// its error rate is at most ErrorRate above the pre-fault level and its P95
// at most P95Ratio times the pre-fault P95 (or P95SlackMS above it, when
// that is more); Seconds such seconds in a row end the recovery.
type Recovery struct {
	ErrorRate  float64 `json:"error_rate"`
	P95Ratio   float64 `json:"p95_ratio"`
	P95SlackMS float64 `json:"p95_slack_ms"`
	Seconds    int     `json:"seconds"`
	BaselineS  int     `json:"baseline_s"`
}

// FaultWindow is one fault's window on the timeline's clock.
type FaultWindow struct {
	Name   string   `json:"name"`
	StartS float64  `json:"start_s"`
	EndS   *float64 `json:"end_s,omitempty"` // nil while the fault is on
}

// Stage is one load stage; rates are requests per second (open model), users
// are concurrent workers (closed model). From == To for a constant stage.
type Stage struct {
	StartS    float64 `json:"start_s"` // offset from the start of the attack
	DurationS float64 `json:"duration_s"`
	From      float64 `json:"from"`
	To        float64 `json:"to"`
}

// Add adds o, the same stage of another shard of the plan, to s: the shards
// run side by side, so their levels (rates, users) add. StartS and DurationS
// are the plan's schedule, the same in every shard.
func (s *Stage) Add(o Stage) {
	s.From += o.From
	s.To += o.To
}

// RequestMix is one weighted request of the scenario.
type RequestMix struct {
	Name   string  `json:"name"`
	Method string  `json:"method"`
	Path   string  `json:"path"`
	Weight float64 `json:"weight"`
	// Headers are the request's own headers, secret values masked as in
	// Plan.Headers.
	Headers map[string]string `json:"headers,omitempty"`
	// Expect lists the status codes that count as success; absent for the
	// default, 200–399.
	Expect []int `json:"expect,omitempty"`
	// Stream is the request's stream mode (sse, chunks) and StreamContent
	// the JSON path of an event's content; absent for a body read whole.
	Stream        string `json:"stream,omitempty"`
	StreamContent string `json:"stream_content,omitempty"`
}

// Expected reports whether status code counts as success for the request.
func (r RequestMix) Expected(code int) bool {
	if len(r.Expect) == 0 {
		return code >= 200 && code < 400
	}
	return slices.Contains(r.Expect, code)
}

// FlowMix is one weighted flow of the scenario; its steps in order, each
// named by its endpoint ("<flow>.<step>") with weight 0.
type FlowMix struct {
	Name   string       `json:"name"`
	Weight float64      `json:"weight"`
	Steps  []RequestMix `json:"steps"`
}

// Stats summarises one endpoint or the whole run over the measured window.
type Stats struct {
	Requests  int64   `json:"requests"`
	Successes int64   `json:"successes"`
	ErrorRate float64 `json:"error_rate"` // (requests - successes) / requests
	// Unsent counts requests that were due by the schedule but never sent
	// before the run ended (open model); they are included in Requests as errors
	// of kind "unsent".
	Unsent int64 `json:"unsent,omitempty"`
	Rate   Rate  `json:"rate"`
	// LatencyUS is measured from each request's intended send time (corrected
	// for coordinated omission); ServiceTimeUS from its actual send time.
	// Both cover all measured requests, successful or not: a latency gate
	// reads the successful ones (LatencyOf(OK)).
	LatencyUS     Latency          `json:"latency_us"`
	ServiceTimeUS Latency          `json:"service_time_us"`
	StatusCodes   map[string]int64 `json:"status_codes"`
	Errors        map[string]int64 `json:"errors"` // by kind: timeout, refused, reset, status, unsent, other
	BytesIn       int64            `json:"bytes_in"`
	BytesOut      int64            `json:"bytes_out"`

	// The latencies split by outcome (populations OK and Failed); absent
	// when no request of the population was measured, so that an empty
	// population never reads as a latency of zero.
	LatencyOKUS         *Latency `json:"latency_ok_us,omitempty"`
	LatencyFailedUS     *Latency `json:"latency_failed_us,omitempty"`
	ServiceTimeOKUS     *Latency `json:"service_time_ok_us,omitempty"`
	ServiceTimeFailedUS *Latency `json:"service_time_failed_us,omitempty"`

	// ChecksPassed and ChecksFailed count the checks of flow steps run on
	// the measured responses (a step's, a flow's iterations', the run's).
	ChecksPassed int64 `json:"checks_passed,omitempty"`
	ChecksFailed int64 `json:"checks_failed,omitempty"`
	// Checks counts each check of a flow step by its name (steps only).
	Checks map[string]CheckCount `json:"checks,omitempty"`
	// ExtractFailures counts, by variable, the responses of a flow step
	// whose extract found nothing (steps only).
	ExtractFailures map[string]int64 `json:"extract_failures,omitempty"`
	// Stream summarises the streamed responses (stream: sse or chunks);
	// absent where nothing streams.
	Stream *Stream `json:"stream,omitempty"`
}

// Add adds the counts of o, the same series of another shard run side by
// side, to s: requests, successes, unsent, bytes, checks, status codes,
// errors and extract failures, and the rates (shards run side by side, so
// their rates add). The latency summaries and the error rate are not sums:
// Merge computes them again from the added histograms and counts.
func (s *Stats) Add(o Stats) {
	s.Requests += o.Requests
	s.Successes += o.Successes
	s.Unsent += o.Unsent
	s.BytesIn += o.BytesIn
	s.BytesOut += o.BytesOut
	s.Rate.Target += o.Rate.Target
	s.Rate.Achieved += o.Rate.Achieved
	s.Rate.Sent += o.Rate.Sent
	s.StatusCodes = addCounts(s.StatusCodes, o.StatusCodes)
	s.Errors = addCounts(s.Errors, o.Errors)
	s.ChecksPassed += o.ChecksPassed
	s.ChecksFailed += o.ChecksFailed
	for name, c := range o.Checks {
		if s.Checks == nil {
			s.Checks = map[string]CheckCount{}
		}
		acc := s.Checks[name]
		acc.Passed += c.Passed
		acc.Failed += c.Failed
		acc.NotJSON += c.NotJSON
		s.Checks[name] = acc
	}
	if len(o.ExtractFailures) > 0 {
		s.ExtractFailures = addCounts(s.ExtractFailures, o.ExtractFailures)
	}
	if o.Stream != nil {
		if s.Stream == nil {
			s.Stream = &Stream{}
		}
		s.Stream.Add(*o.Stream)
	}
}

// addCounts adds the counts of b into a, made when nil.
func addCounts(a, b map[string]int64) map[string]int64 {
	if a == nil {
		a = map[string]int64{}
	}
	for k, v := range b {
		a[k] += v
	}
	return a
}

// CheckCount is how often one check passed and failed; NotJSON counts
// the failures of a json check on a body that was not JSON (of Failed).
type CheckCount struct {
	Passed  int64 `json:"passed"`
	Failed  int64 `json:"failed"`
	NotJSON int64 `json:"not_json,omitempty"`
}

// FlowStats is one flow's iterations over the measured window (those whose
// scheduled start lies in it).
type FlowStats struct {
	// Steps are the flow's endpoints ("<flow>.<step>") in order.
	Steps []string `json:"steps"`
	// Iteration treats each iteration as one request: Requests counts the
	// iterations that completed or failed, Successes the completed ones,
	// Errors the failed ones by the kind of the step that failed them;
	// LatencyUS runs from the scheduled start to the last response (think
	// times between steps included), ServiceTimeUS from the first request's
	// send; ChecksPassed and ChecksFailed total the flow's checks.
	Iteration Stats `json:"iteration"`
	// SkippedSteps counts the steps not sent because an earlier step of
	// their iteration failed.
	SkippedSteps int64 `json:"skipped_steps"`
	// Cut counts the iterations the end of the run (or an abort) interrupted
	// before their last step: neither completed nor failed.
	Cut int64 `json:"cut"`
}

// Add adds o, the same flow of another shard, to f: its iterations (Stats.Add),
// skipped steps and cut iterations. Steps, the flow's step names, are the
// same in every shard.
func (f *FlowStats) Add(o FlowStats) {
	if f.Steps == nil {
		f.Steps = o.Steps
	}
	f.Iteration.Add(o.Iteration)
	f.SkippedSteps += o.SkippedSteps
	f.Cut += o.Cut
}

// Rate is requests per second over the measured window. Achieved counts
// the requests that completed (a response or an error), Target the ones
// the plan had due, Sent the ones that left (open model; absent before it
// was recorded).
type Rate struct {
	Target   float64 `json:"target"`
	Achieved float64 `json:"achieved"`
	Sent     float64 `json:"sent,omitempty"`
}

// Latency holds a distribution's summary, in microseconds.
type Latency struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Server summarises the target's own metrics over the measured window, as
// scraped from its Prometheus endpoint (metrics.url), and the Server-Timing
// split of its responses. A series that could not be measured is absent
// from Series, and SeriesNotes says why: a gate on it is unknown, never a
// pass.
type Server struct {
	MetricsURL string `json:"metrics_url,omitempty"`
	// ServerTiming is the target's Server-Timing split over the measured
	// window, by entry name (db, cache, llm …): read from the responses,
	// not scraped, so it is present whenever the target sends the header.
	ServerTiming map[string]Timing `json:"server_timing,omitempty"`
	// Series holds the target's series over the measured window: each
	// named series of the plan (Plan.Series) by its name, in its unit
	// ("cache_hit_rate": 0.83), and each series a gate writes inline by its
	// canonical key (SeriesQuery.Key: "increase(orders_total)"). Measure
	// says how each aggregation is read from the scrapes.
	Series      map[string]float64 `json:"series,omitempty"`
	SeriesNotes map[string]string  `json:"series_notes,omitempty"`
	// Restarts are the target restarts the scrapes showed, over the whole
	// run (warm-up included). Every figure above is reset-aware: a counter
	// counts again from zero after a restart.
	Restarts     []Restart `json:"restarts,omitempty"`
	Scrapes      int       `json:"scrapes"`
	ScrapeErrors int       `json:"scrape_errors,omitempty"`
}

// Restart is one restart of the target, seen between two scrapes (seconds
// since the attack started).
type Restart struct {
	AfterS  float64 `json:"after_s"`  // the last scrape before it
	BeforeS float64 `json:"before_s"` // the first scrape after it
	// Sign is what showed it: process_start_time_seconds (it changed), or
	// the counters that went backwards (comma-separated).
	Sign string `json:"sign"`
}

// Timing is one Server-Timing entry over a window: the mean duration of the
// responses that carried it, and how many did.
type Timing struct {
	MeanMS float64 `json:"mean_ms"`
	Count  int64   `json:"count"`
}

// Gate is one evaluated gate.
type Gate struct {
	Expr      string   `json:"expr"`
	Value     *float64 `json:"value"` // nil when the metric is absent
	Threshold float64  `json:"threshold"`
	Unit      string   `json:"unit,omitempty"` // "us", "ratio", "rps", …
	Verdict   string   `json:"verdict"`
	Message   string   `json:"message,omitempty"`
}

// Where a run's gate expressions came from (Judgement.Source).
const (
	// GatesFromScenario: the scenario's gates (Plan.Gates).
	GatesFromScenario = "scenario"
	// GatesOverride: expressions given in their place (`loadgate run --gate`).
	GatesOverride = "override"
)

// Judgement is what a run's recorded verdict was decided by.
type Judgement struct {
	// Gates are the expressions evaluated, in order; Run.Gates holds
	// their results, then those of the baseline check's regression gates.
	Gates []string `json:"gates"`
	// Source is GatesFromScenario or GatesOverride.
	Source string `json:"source"`
	// Baseline is the run directory a regression check compared against,
	// as given; empty for none. MaxRegression are its limits.
	// It is "history" when the run was checked against past runs of a
	// history store (`--baseline history`), which BaselineRuns name.
	Baseline      string             `json:"baseline,omitempty"`
	MaxRegression map[string]float64 `json:"max_regression,omitempty"`
	// BaselineRuns name the past runs a check against history compared
	// with (PastRun.Name: "<id>@<commit>"), and BaselineBasis says how
	// they were chosen.
	BaselineRuns  []string `json:"baseline_runs,omitempty"`
	BaselineBasis string   `json:"baseline_basis,omitempty"`
	// Verdict is the recorded verdict: pass, fail or unknown.
	Verdict string `json:"verdict"`
}

// Timeline is the content of timeline.json: one point per interval.
type Timeline struct {
	Schema    int     `json:"schema"`
	IntervalS float64 `json:"interval_s"`
	Points    []Point `json:"points"`
	// Faults are the fault windows of the run.
	Faults []FaultWindow `json:"faults,omitempty"`
	// Scrapes are the scrapes of the target's metrics that succeeded, in
	// order: what the target's series over the window (Server.Series) and
	// per interval (Point.Server) are measured from, and what Merge
	// measures them again from.
	Scrapes []Scrape `json:"scrapes,omitempty"`
}

// Writes is the check that no acknowledged write was lost: Acknowledged
// writes (2xx answers to the endpoints that write) against the rows Found
// afterwards that they created; Lost = max(0, Acknowledged - Found), per
// kind of write. Lost is a lower bound: rows are counted, not ids, so a row
// committed whose answer never came (a reset, a kill, a timeout) is found
// in place of an acknowledged one that was lost. Found and Lost are absent
// when the rows could not be counted after the run (Error says why).
type Writes struct {
	Endpoints    []string `json:"endpoints"`
	Acknowledged int64    `json:"acknowledged"`
	Found        *int64   `json:"found,omitempty"`
	Lost         *int64   `json:"lost,omitempty"`
	// Error says why the writes were not checked: the rows could not be
	// counted after the run (the database unreachable, as when a drill's
	// undo failed to start PostgreSQL again). Then Found and Lost are
	// absent, and the writes_lost gate cannot be evaluated.
	Error string `json:"error,omitempty"`
	// FailedDrills names the run's drills that failed to inject or to undo.
	// Then the check is not reliable: the run did not go through its faults
	// as planned, so its count says nothing about them, and the writes_lost
	// gate cannot be evaluated.
	FailedDrills []string `json:"failed_drills,omitempty"`
}

// Point is one interval of the run; T is seconds since the attack started.
type Point struct {
	T            float64          `json:"t"`
	TargetRate   float64          `json:"target_rate"`
	AchievedRate float64          `json:"achieved_rate"`
	Requests     int64            `json:"requests"`
	Errors       int64            `json:"errors"`
	InFlight     int64            `json:"in_flight"`
	StatusCodes  map[string]int64 `json:"status_codes,omitempty"`
	ErrorKinds   map[string]int64 `json:"error_kinds,omitempty"`
	Warmup       bool             `json:"warmup,omitempty"`
	// OutputTokens counts the output tokens of the streamed requests that
	// ended in this interval (failed streams' partial tokens included).
	OutputTokens int64 `json:"output_tokens,omitempty"`
	// Server holds what the target reported in this interval, by name:
	// each named series of the plan (Plan.Series) measured over the scrapes
	// that landed in it (Measure: a counter's increase since the scrape
	// before, a gauge as read), "restarts" (target restarts seen), and the
	// Server-Timing split (ServerTimingPrefix, ServerTimingCountPrefix).
	// Absent when nothing landed in it.
	Server map[string]float64 `json:"server,omitempty"`
}

// Add adds o, the same interval of another shard run side by side, to p:
// its rates, counts, requests in flight, status codes and error kinds. T and
// Warmup are the interval's, the same in every shard; Server is left to
// Merge, since the target's figures do not add (the scraped ones are
// measured again from the shards' scrapes, the Server-Timing means are
// weighted by their counts).
func (p *Point) Add(o Point) {
	p.TargetRate += o.TargetRate
	p.AchievedRate += o.AchievedRate
	p.Requests += o.Requests
	p.Errors += o.Errors
	p.InFlight += o.InFlight
	p.OutputTokens += o.OutputTokens
	if len(o.StatusCodes) > 0 {
		p.StatusCodes = addCounts(p.StatusCodes, o.StatusCodes)
	}
	if len(o.ErrorKinds) > 0 {
		p.ErrorKinds = addCounts(p.ErrorKinds, o.ErrorKinds)
	}
}

// ErrMissing is wrapped by ReadRun and ReadTimeline when the file does not exist.
var ErrMissing = errors.New("missing")

// ReadRun reads and checks dir/run.json. Unknown fields are allowed (newer
// writers may add them); a wrong schema or malformed JSON is an error that
// names the file, as is a file that is not a regular file or is larger
// than MaxJSONBytes. Credential headers of the plan come back masked, also
// from an old file that holds them in clear.
func ReadRun(dir string) (*Run, error) {
	var r Run
	path := filepath.Join(dir, RunFile)
	data, err := ReadRegular(path, MaxJSONBytes)
	if err != nil {
		return nil, err
	}
	if err := decodeJSON(path, data, &r); err != nil {
		return nil, err
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("%s: schema %d, this loadgate reads schema %d", path, r.Schema, Schema)
	}
	r.Plan.maskCredentials()
	if err := readOldServer(path, data, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ReadTimeline reads dir/timeline.json, a regular file of at most
// MaxTimelineBytes. A timeline written before the named series is read as
// their reading of the old format says (readOldTimeline).
func ReadTimeline(dir string) (*Timeline, error) {
	var t Timeline
	if err := readJSON(filepath.Join(dir, TimelineFile), MaxTimelineBytes, &t); err != nil {
		return nil, err
	}
	readOldTimeline(&t)
	return &t, nil
}

// readJSON decodes path, a regular file of at most limit bytes, into v.
func readJSON(path string, limit int64, v any) error {
	data, err := ReadRegular(path, limit)
	if err != nil {
		return err
	}
	return decodeJSON(path, data, v)
}

// decodeJSON decodes data, read from path, into v.
func decodeJSON(path string, data []byte, v any) error {
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		return fmt.Errorf("%s is corrupt: %w", path, err)
	}
	return nil
}
