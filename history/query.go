package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/loadgate/loadgate/record"
)

// Filter chooses runs of the store. Its zero value is every run.
type Filter struct {
	// Scenario, Branch, PlanHash, Shard and Profile keep the runs with that
	// value ("" any; Shard: use WholePlan for the runs of a whole plan;
	// Branch: NoBranch for the runs recorded on none).
	Scenario, Branch, PlanHash, Shard, Profile string
	// Kinds keeps runs of those kinds (record.KindRun…); empty: any.
	Kinds []string
	// Status keeps runs with that status ("" any).
	Status string
	// Commits keeps runs of those commits (as recorded, short); empty: any.
	Commits []string
	// Keys keeps the runs with those keys; empty: any.
	Keys []string
	// Exclude leaves out the run with that key.
	Exclude string
	// Limit keeps the newest Limit runs (0: all).
	Limit int
	// Seconds loads each run's per-second latencies too.
	Seconds bool
}

// NoBranch is Filter.Branch for the runs recorded on no branch: made
// outside a git checkout, with no LOADGATE_BRANCH.
const NoBranch = "-"

// WholePlan is Filter.Shard for the runs that were not one shard of
// several (whole runs and merges).
const WholePlan = "-"

// Runs returns the runs f chooses, oldest first, with their statistics,
// gates and (with f.Seconds) per-second latencies.
func (s *Store) Runs(ctx context.Context, f Filter) ([]record.PastRun, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	where, args := []string{"1 = 1"}, []any{}
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	eq("scenario", f.Scenario)
	if f.Branch == NoBranch {
		where = append(where, "branch = ''")
	} else {
		eq("branch", f.Branch)
	}
	eq("plan_hash", f.PlanHash)
	eq("status", f.Status)
	eq("profile", f.Profile)
	if f.Shard == WholePlan {
		where = append(where, "shard = ''")
	} else {
		eq("shard", f.Shard)
	}
	if f.Exclude != "" {
		where = append(where, "key <> ?")
		args = append(args, f.Exclude)
	}
	in := func(col string, vs []string) {
		if len(vs) == 0 {
			return
		}
		where = append(where, col+" IN (?"+strings.Repeat(", ?", len(vs)-1)+")")
		for _, v := range vs {
			args = append(args, v)
		}
	}
	in("kind", f.Kinds)
	in("commit_sha", f.Commits)
	in("key", f.Keys)
	query := `SELECT key, kind, run_id, scenario, plan_hash, commit_sha, branch, started, ended, recorded, status, verdict,
		dir, target, profile, host, version, shard, timeout_ns, gates_judged, note FROM history_runs WHERE ` +
		strings.Join(where, " AND ") + ` ORDER BY started DESC, key`
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, s.wrap("reading runs", err)
	}
	var out []record.PastRun
	byKey := map[string]*record.Run{}
	for rows.Next() {
		var p record.PastRun
		run := &record.Run{Endpoints: map[string]record.Stats{}, Judged: &record.Judgement{}}
		var started, ended, recorded dbTime
		var timeout int64
		var judged string
		if err := rows.Scan(&p.Key, &p.Kind, &run.ID, &run.Scenario, &run.PlanHash, &run.Commit, &p.Branch,
			&started, &ended, &recorded, &run.Status, &run.Judged.Verdict, &p.Dir, &run.Target, &run.Profile,
			&run.Host, &run.Version, &run.Shard, &timeout, &judged, &p.Note); err != nil {
			rows.Close()
			return nil, s.wrap("reading runs", err)
		}
		run.Started, run.Ended, p.Recorded = started.t, ended.t, recorded.t
		run.Plan.Timeout = time.Duration(timeout)
		if err := json.Unmarshal([]byte(judged), &run.Judged.Gates); err != nil {
			rows.Close()
			return nil, s.wrap("reading runs", err)
		}
		run.Plan.Gates = run.Judged.Gates
		if run.Judged.Verdict == "" {
			run.Judged = nil
		}
		p.Run = run
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("reading runs", err)
	}
	rows.Close()
	// Oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	for i := range out {
		byKey[out[i].Key] = out[i].Run
	}
	if err := s.loadDetails(ctx, out, byKey, f.Seconds); err != nil {
		return nil, err
	}
	return out, nil
}

// keysChunk is how many runs one query of their details names.
const keysChunk = 200

// loadDetails reads the runs' endpoints and gates, and their seconds when
// asked, into the runs by key.
func (s *Store) loadDetails(ctx context.Context, runs []record.PastRun, byKey map[string]*record.Run, seconds bool) error {
	secs := map[string]map[string][]record.Second{}
	for start := 0; start < len(runs); start += keysChunk {
		chunk := runs[start:min(start+keysChunk, len(runs))]
		keys := make([]any, len(chunk))
		for i, r := range chunk {
			keys[i] = r.Key
		}
		in := "(?" + strings.Repeat(", ?", len(keys)-1) + ")"
		if err := s.each(ctx, `SELECT run_key, endpoint, requests, successes, unsent, error_rate, rate_target, rate_achieved,
			p50_us, p90_us, p95_us, p99_us, p999_us, max_us, mean_us FROM history_endpoints WHERE run_key IN `+in, keys, func(rows *sql.Rows) error {
			var key, ep string
			var st record.Stats
			var l [7]sql.NullFloat64
			if err := rows.Scan(&key, &ep, &st.Requests, &st.Successes, &st.Unsent, &st.ErrorRate, &st.Rate.Target, &st.Rate.Achieved,
				&l[0], &l[1], &l[2], &l[3], &l[4], &l[5], &l[6]); err != nil {
				return err
			}
			if l[2].Valid {
				lat := record.Latency{P50: l[0].Float64, P90: l[1].Float64, P95: l[2].Float64, P99: l[3].Float64,
					P999: l[4].Float64, Max: l[5].Float64, Mean: l[6].Float64}
				st.LatencyOKUS = &lat
			}
			run := byKey[key]
			if ep == "" {
				run.Overall = st
			} else {
				run.Endpoints[ep] = st
			}
			return nil
		}); err != nil {
			return s.wrap("reading runs' endpoints", err)
		}
		if err := s.each(ctx, `SELECT run_key, expr, value, threshold, unit, verdict, message FROM history_gates WHERE run_key IN `+in+
			` ORDER BY run_key, position`, keys, func(rows *sql.Rows) error {
			var key string
			var g record.Gate
			var v sql.NullFloat64
			if err := rows.Scan(&key, &g.Expr, &v, &g.Threshold, &g.Unit, &g.Verdict, &g.Message); err != nil {
				return err
			}
			if v.Valid {
				g.Value = &v.Float64
			}
			run := byKey[key]
			run.Gates = append(run.Gates, g)
			return nil
		}); err != nil {
			return s.wrap("reading runs' gates", err)
		}
		if !seconds {
			continue
		}
		if err := s.each(ctx, `SELECT run_key, endpoint, t, requests, p50_us, p90_us, p95_us, p99_us, p999_us, max_us
			FROM history_seconds WHERE run_key IN `+in+` ORDER BY run_key, endpoint, t`, keys, func(rows *sql.Rows) error {
			var key, ep string
			var sec record.Second
			if err := rows.Scan(&key, &ep, &sec.T, &sec.Count, &sec.P50, &sec.P90, &sec.P95, &sec.P99, &sec.P999, &sec.Max); err != nil {
				return err
			}
			if secs[key] == nil {
				secs[key] = map[string][]record.Second{}
			}
			secs[key][ep] = append(secs[key][ep], sec)
			return nil
		}); err != nil {
			return s.wrap("reading runs' seconds", err)
		}
	}
	if seconds {
		for i := range runs {
			runs[i].Seconds = secs[runs[i].Key]
		}
	}
	return nil
}

// each runs query and calls f for each row.
func (s *Store) each(ctx context.Context, query string, args []any, f func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
