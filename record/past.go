package record

import (
	"time"
)

// Kinds of past runs a history store keeps (PastRun.Kind).
const (
	KindRun      = "run"      // one run (`loadgate run`, `scenario`, a step of a capacity search)
	KindMerge    = "merge"    // a run merged from shards (`loadgate merge`)
	KindCapacity = "capacity" // a capacity search (its steps are runs of their own)
)

// PastRun is a run as a history store keeps it (package history): its
// facts, enough to draw a trend of its scenario and to check another run
// against it for regressions after its directory is gone.
type PastRun struct {
	// Key is the store's identity of the run: a run recorded twice (by
	// the run itself, then by an import of its directory) is one row.
	Key string
	// Kind is KindRun, KindMerge or KindCapacity.
	Kind string
	// Dir is the results directory the run was recorded from, as it was
	// given; it may be gone since.
	Dir string
	// Branch is the git branch the run was made on, when known.
	Branch string
	// Recorded is when the store was given the run.
	Recorded time.Time
	// Run holds what the store keeps of run.json: id, scenario, plan hash,
	// commit, host, version, shard, target, profile, start and end,
	// status, plan.timeout and plan.gates, the statistics of the whole run
	// (Overall) and of each endpoint (requests, successes, error rate,
	// rates, unsent, the latency of the successful requests), the
	// evaluated gates and the judged verdict. A capacity search's holds
	// its scenario, target, profile, start, end and verdict.
	Run *Run
	// Seconds are the latency of the successful requests in each second of
	// the measured window that had one (the run's latency.hlog), by
	// endpoint ("" for the whole run). Empty when not asked for, or when
	// the run's directory had no interval log.
	Seconds map[string][]Second
	// Note says what a capacity search found ("capacity 120 req/s").
	Note string
}

// Second is the latency of one series in one second of a run, in
// microseconds.
type Second struct {
	// T is seconds since the attack started.
	T float64
	// Count is how many requests the second's latencies are of.
	Count int64
	Latency
}

// Name is how reports name the run: its id and, when known, its commit
// ("20261128-101500-steady@1a2b3c4").
func (p *PastRun) Name() string {
	if p.Run == nil {
		return p.Key
	}
	if p.Run.Commit == "" {
		return p.Run.ID
	}
	return p.Run.ID + "@" + p.Run.Commit
}

// Verdict is the run's recorded verdict (pass, fail, unknown), or "" when
// none was recorded.
func (p *PastRun) Verdict() string {
	if p.Run == nil || p.Run.Judged == nil {
		return ""
	}
	return p.Run.Judged.Verdict
}
