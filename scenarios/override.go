package scenarios

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// Shard says which slice of a sharded run this generator is.
type Shard struct {
	// Index is 1-based; Count is the number of shards. The zero value means
	// no sharding.
	Index, Count int
}

// MaxShards is the most shards a plan may be run as: `loadgate merge` reads
// no run claiming more.
const MaxShards = record.MaxShards

// String formats the shard as "i/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseShard parses "i/N" with 1 <= i <= N <= MaxShards.
func ParseShard(s string) (Shard, error) {
	var sh Shard
	if _, err := fmt.Sscanf(s, "%d/%d", &sh.Index, &sh.Count); err != nil || fmt.Sprintf("%d/%d", sh.Index, sh.Count) != s {
		return Shard{}, fmt.Errorf("bad shard %q: want i/N, e.g. 1/4", s)
	}
	if err := sh.check(); err != nil {
		return Shard{}, fmt.Errorf("bad shard %q: %w", s, err)
	}
	return sh, nil
}

// check says what is wrong with a shard that is not 1 <= i <= N <= MaxShards.
func (s Shard) check() error {
	switch {
	case s.Count > MaxShards:
		return fmt.Errorf("at most %d shards (N = %d)", MaxShards, s.Count)
	case s.Count < 1 || s.Index < 1 || s.Index > s.Count:
		return errors.New("want 1 <= i <= N")
	}
	return nil
}

// Environment variables of `--shard auto` (ParseShardAuto).
const (
	// EnvShardIndex is the 0-based index Kubernetes gives each pod of an
	// Indexed Job.
	EnvShardIndex = "JOB_COMPLETION_INDEX"
	// EnvShards is the shard count, which the Job sets to its completions.
	EnvShards = "LOADGATE_SHARDS"
)

// ParseShardAuto parses s as ParseShard does, or "auto": i from
// $JOB_COMPLETION_INDEX (0-based, as a Kubernetes Indexed Job sets it) and
// N from $LOADGATE_SHARDS, read through getenv.
func ParseShardAuto(s string, getenv func(string) string) (Shard, error) {
	if s != "auto" {
		return ParseShard(s)
	}
	idx, count := getenv(EnvShardIndex), getenv(EnvShards)
	if idx == "" || count == "" {
		return Shard{}, fmt.Errorf("--shard auto: $%s and $%s must both be set (an Indexed Job sets the first; set the second to its completions), got %q and %q", EnvShardIndex, EnvShards, idx, count)
	}
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 {
		return Shard{}, fmt.Errorf("--shard auto: $%s=%q is not a 0-based index", EnvShardIndex, idx)
	}
	sh, err := ParseShard(fmt.Sprintf("%d/%s", i+1, count))
	if err != nil {
		return Shard{}, fmt.Errorf("--shard auto ($%s=%s, $%s=%s): %w", EnvShardIndex, idx, EnvShards, count, err)
	}
	return sh, nil
}

// Overrides change a loaded scenario for one run; zero fields change nothing.
type Overrides struct {
	// TargetURL replaces target.base_url, and the same prefix of metrics.url.
	TargetURL string
	// Duration scales every stage so that they add up to it, keeping the
	// scenario's shape. The warm-up keeps its length, up to a third of
	// Duration: caches and pools take as long to fill in a short run.
	Duration time.Duration
	// Rate scales every stage's rate so that the peak equals it (open model).
	Rate float64
	// Shard runs 1/Count of the load: rates and users divided by Count.
	// It is applied last; the scenario's PlanHash stays that of the whole
	// plan.
	Shard Shard
	// AllowLong lets the plan run over MaxPlanDuration or MaxPlanRequests
	// (the --allow-long flag).
	AllowLong bool
	// Gates replace the scenario's gates (the --gate flags): each parsed
	// and held to the rules of the scenario's own (Validate), after the
	// other overrides. The scenario keeps its own for its plan
	// (OwnGateExprs) and says its gates are an override (GatesOverridden).
	// With them the run has no abort gate.
	Gates []string
}

// Apply changes the scenario in place and validates the result, including
// the plan's size limits (MaxPlanDuration, MaxPlanRequests) unless
// o.AllowLong; an allowance stays with the scenario.
func (s *Scenario) Apply(o Overrides) error {
	if o.AllowLong {
		s.allowLong = true
	}
	if o.TargetURL != "" {
		old := strings.TrimRight(s.Target.BaseURL, "/")
		s.Target.BaseURL = strings.TrimRight(o.TargetURL, "/")
		if old != "" && strings.HasPrefix(s.Metrics.URL, old) {
			s.Metrics.URL = s.Target.BaseURL + strings.TrimPrefix(s.Metrics.URL, old)
		}
	}
	if o.Duration < 0 {
		return fmt.Errorf("duration override %s: must be positive", o.Duration)
	}
	if o.Duration > 0 {
		s.scaleDuration(o.Duration)
	}
	if o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) {
		return fmt.Errorf("rate override %v: must be a positive number", o.Rate)
	}
	if o.Rate > 0 {
		if s.Load.Model != ModelOpen {
			return fmt.Errorf("rate override: scenario %s uses the closed model (users, not a rate)", s.Name)
		}
		s.scaleRate(o.Rate)
	}
	if o.Shard.Count > 0 {
		if err := o.Shard.check(); err != nil {
			return fmt.Errorf("shard %s: %w", o.Shard, err)
		}
		if len(s.Faults) > 0 {
			// Every shard would inject every fault: N stops of one server.
			return fmt.Errorf("scenario %s has faults: they are drilled by one generator, not by shards (run it without --shard)", s.Name)
		}
		s.shard(o.Shard)
	}
	if len(o.Gates) > 0 {
		if err := s.overrideGates(o.Gates); err != nil {
			return err
		}
	}
	return s.Validate()
}

// overrideGates replaces the scenario's gates by exprs, each parsed and
// checked against the scenario as its own are; the error names each bad
// one as --gate, and then nothing is replaced.
func (s *Scenario) overrideGates(exprs []string) error {
	gates := make([]Gate, len(exprs))
	var parsed []gate.Gate
	var errs []error
	for i, e := range exprs {
		gates[i] = Gate{Expr: e}
		g, err := gates[i].parse(s.seriesDefs())
		if err != nil {
			errs = append(errs, fmt.Errorf("--gate: %w", err))
			continue
		}
		parsed = append(parsed, g)
	}
	scope := s.gateScope(parsed)
	for _, g := range parsed {
		if err := g.Check(scope); err != nil {
			errs = append(errs, fmt.Errorf("--gate: %w", err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if !s.gatesOverridden {
		s.ownGates = s.Gates
	}
	s.Gates, s.gatesOverridden = gates, true
	return nil
}

func (s *Scenario) scaleDuration(d time.Duration) {
	total := s.TotalDuration()
	if total <= 0 {
		return
	}
	f := float64(d) / float64(total)
	var sum time.Duration
	for i := range s.Load.Stages {
		st := &s.Load.Stages[i]
		if i == len(s.Load.Stages)-1 {
			st.Duration = Duration(d - sum) // the stages add up exactly
		} else {
			st.Duration = Duration(time.Duration(math.Round(float64(st.Duration) * f)))
		}
		sum += st.Duration.D()
	}
	// Faults keep their place in the run's shape.
	for i := range s.Faults {
		fl := &s.Faults[i]
		fl.At = Duration(time.Duration(math.Round(float64(fl.At) * f)))
		fl.For = Duration(time.Duration(math.Round(float64(fl.For) * f)))
	}
	// The warm-up fills caches and connection pools, which takes the same time
	// whatever the run's length: keep it, up to a third of the new duration.
	if w := s.Load.Warmup.D(); w > d/3 {
		s.Load.Warmup = Duration(d / 3)
	}
}

func (s *Scenario) scaleRate(r float64) {
	peak := 0.0
	for _, st := range s.Load.Stages {
		peak = math.Max(peak, math.Max(st.Rate.From, st.Rate.To))
	}
	if peak == 0 {
		return
	}
	f := r / peak
	for i := range s.Load.Stages {
		st := &s.Load.Stages[i]
		st.Rate.From *= f
		st.Rate.To *= f
	}
}

// shard divides the load: rates by N exactly; users so that the shards'
// users add up to the scenario's (shard i gets the ceiling for the first
// U mod N shards).
func (s *Scenario) shard(sh Shard) {
	s.planHash = s.hashPlan()
	s.Shard = sh
	n := float64(sh.Count)
	for i := range s.Load.Stages {
		st := &s.Load.Stages[i]
		st.Rate.From /= n
		st.Rate.To /= n
		st.Users.From = shareOf(st.Users.From, sh)
		st.Users.To = shareOf(st.Users.To, sh)
	}
}

func shareOf(users float64, sh Shard) float64 {
	u := int(users)
	share := u / sh.Count
	if sh.Index <= u%sh.Count {
		share++
	}
	return float64(share)
}
