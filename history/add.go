package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/loadgate/loadgate/record"
)

// Timeout bounds one call of the store (an add, a query) that was given a
// context without a deadline.
const Timeout = 2 * time.Minute

// Add adds a finished run to the store: the run held in memory (or read
// from dir's run.json), the per-second latencies from dir's latency.hlog,
// branch the git branch it ran on ("" unknown). added is false when the
// store already holds it (the same run recorded before, or imported
// again): nothing is changed then. One transaction: a reader sees the whole
// run or none of it.
func (s *Store) Add(ctx context.Context, dir string, run *record.Run, branch string) (added bool, err error) {
	if err := checkRun(dir, run); err != nil {
		return false, err
	}
	secs, err := readSeconds(dir, run)
	if err != nil {
		return false, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	key := runKey(run)
	err = s.inTx(ctx, "adding run "+run.ID, func(tx *sql.Tx) error {
		judged := []string{}
		if run.Judged != nil {
			judged = run.Judged.Gates
		}
		gj, err := json.Marshal(judged)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO history_runs (key, kind, run_id, scenario, plan_hash, commit_sha, branch,
			started, ended, recorded, status, verdict, dir, target, profile, host, version, shard, timeout_ns, gates_judged, note)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '') ON CONFLICT (key) DO NOTHING`),
			key, kindOf(run), run.ID, run.Scenario, run.PlanHash, run.Commit, branch,
			s.timeArg(run.Started), s.timeArg(run.Ended), s.timeArg(time.Now()), run.Status, verdictOf(run), dir,
			run.Target, run.Profile, run.Host, run.Version, run.Shard, int64(run.Plan.Timeout), string(gj))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // already there
		}
		added = true
		if err := s.addEndpoints(ctx, tx, key, run); err != nil {
			return err
		}
		if err := s.addSeconds(ctx, tx, key, secs); err != nil {
			return err
		}
		return s.addGates(ctx, tx, key, run.Gates)
	})
	return added, err
}

// AddCapacity adds a finished capacity search (its capacity.json in dir)
// and marks the runs of its steps, added before as they ended, as its
// steps. Steps not in the store yet (an import) are added from their
// directories first.
func (s *Store) AddCapacity(ctx context.Context, dir string, c *record.Capacity, branch string) (added bool, err error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var steps []string
	for _, st := range c.Steps {
		if st.Dir == "" {
			continue
		}
		stepDir := filepath.Join(dir, st.Dir)
		run, err := record.ReadRun(stepDir)
		if err != nil {
			continue // a step that could not be run has no run.json
		}
		if run.Status == record.StatusRunning {
			continue
		}
		if _, err := s.Add(ctx, stepDir, run, branch); err != nil {
			return false, err
		}
		steps = append(steps, runKey(run))
	}
	key := capacityKey(dir, c)
	verdict := record.VerdictUnknown
	note := "no level held: " + c.Stopped
	switch {
	case c.Found:
		verdict, note = record.VerdictPass, "capacity "+c.FormatLevel(c.Capacity)
	case len(c.Steps) > 0 && c.Steps[0].Verdict == record.VerdictFail:
		verdict = record.VerdictFail
	}
	commit := ""
	if len(steps) > 0 {
		if run, err := record.ReadRun(filepath.Join(dir, c.Steps[0].Dir)); err == nil {
			commit = run.Commit
		}
	}
	err = s.inTx(ctx, "adding capacity search "+filepath.Base(dir), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO history_runs (key, kind, run_id, scenario, plan_hash, commit_sha, branch,
			started, ended, recorded, status, verdict, dir, target, profile, host, version, shard, timeout_ns, gates_judged, note)
			VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', 0, '[]', ?) ON CONFLICT (key) DO NOTHING`),
			key, record.KindCapacity, filepath.Base(dir), c.Scenario, commit, branch,
			s.timeArg(c.Started), s.timeArg(c.Ended), s.timeArg(time.Now()), record.StatusCompleted, verdict, dir,
			c.Target, c.Profile, note)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		added = true
		for _, k := range steps {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE history_runs SET search = ? WHERE key = ?`), key, k); err != nil {
				return err
			}
		}
		return nil
	})
	return added, err
}

func (s *Store) addEndpoints(ctx context.Context, tx *sql.Tx, key string, run *record.Run) error {
	add := func(name string, st record.Stats) error {
		var p50, p90, p95, p99, p999, mx, mean *float64
		if l, ok := st.LatencyOf(record.OK); ok {
			p50, p90, p95, p99, p999, mx, mean = &l.P50, &l.P90, &l.P95, &l.P99, &l.P999, &l.Max, &l.Mean
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO history_endpoints (run_key, endpoint, requests, successes, unsent, error_rate,
			rate_target, rate_achieved, p50_us, p90_us, p95_us, p99_us, p999_us, max_us, mean_us)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			key, name, st.Requests, st.Successes, st.Unsent, st.ErrorRate, st.Rate.Target, st.Rate.Achieved,
			nullFloat(p50), nullFloat(p90), nullFloat(p95), nullFloat(p99), nullFloat(p999), nullFloat(mx), nullFloat(mean))
		return err
	}
	if err := add("", run.Overall); err != nil {
		return err
	}
	for name, st := range run.Endpoints {
		if err := add(name, st); err != nil {
			return err
		}
	}
	return nil
}

// secondsBatch is how many seconds one INSERT writes (10 values each).
const secondsBatch = 200

func (s *Store) addSeconds(ctx context.Context, tx *sql.Tx, key string, secs map[string][]record.Second) error {
	var args []any
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		query := `INSERT INTO history_seconds (run_key, endpoint, t, requests, p50_us, p90_us, p95_us, p99_us, p999_us, max_us) VALUES `
		for i := 0; i < n; i++ {
			if i > 0 {
				query += ", "
			}
			query += "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		}
		_, err := tx.ExecContext(ctx, s.q(query), args...)
		args, n = args[:0], 0
		return err
	}
	for ep, list := range secs {
		for _, sec := range list {
			args = append(args, key, ep, sec.T, sec.Count, sec.P50, sec.P90, sec.P95, sec.P99, sec.P999, sec.Max)
			if n++; n == secondsBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

func (s *Store) addGates(ctx context.Context, tx *sql.Tx, key string, gates []record.Gate) error {
	for i, g := range gates {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO history_gates (run_key, position, expr, value, threshold, unit, verdict, message)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), key, i, g.Expr, nullFloat(g.Value), g.Threshold, g.Unit, g.Verdict, g.Message); err != nil {
			return err
		}
	}
	return nil
}

// inTx runs f in one transaction, committed when f returns nil; errors
// name the store and what was being done.
func (s *Store) inTx(ctx context.Context, what string, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(what, err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return s.wrap(what, err)
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(what, fmt.Errorf("commit: %w", err))
	}
	return nil
}

func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, Timeout)
}
