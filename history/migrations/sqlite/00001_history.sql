-- The history store's schema (SQLite). migrations/postgres holds the same
-- schema; the two differ in column types only.

-- +goose Up
CREATE TABLE history_runs (
    key         TEXT PRIMARY KEY,        -- the run's identity (record.PastRun.Key)
    kind        TEXT NOT NULL,           -- run, merge, capacity
    run_id      TEXT NOT NULL,           -- run.json's id (a capacity search: its directory's name)
    scenario    TEXT NOT NULL,
    plan_hash   TEXT NOT NULL,
    commit_sha  TEXT NOT NULL,
    branch      TEXT NOT NULL,
    started     TEXT NOT NULL,           -- UTC, 2006-01-02T15:04:05.000000000Z
    ended       TEXT NOT NULL,
    recorded    TEXT NOT NULL,
    status      TEXT NOT NULL,           -- completed, aborted, failed
    verdict     TEXT NOT NULL,           -- pass, fail, unknown, '' (none recorded)
    dir         TEXT NOT NULL,           -- the results directory it was recorded from
    target      TEXT NOT NULL,
    profile     TEXT NOT NULL,
    host        TEXT NOT NULL,
    version     TEXT NOT NULL,
    shard       TEXT NOT NULL,           -- "i/N", or '' (a whole plan)
    timeout_ns  INTEGER NOT NULL,
    gates_judged TEXT NOT NULL,          -- the judged gate expressions, JSON
    note        TEXT NOT NULL,           -- a capacity search's answer
    search      TEXT                     -- the capacity search this run was a step of (its key)
);
CREATE INDEX history_runs_plan ON history_runs (plan_hash, shard, status, started);
CREATE INDEX history_runs_scenario ON history_runs (scenario, started);

CREATE TABLE history_endpoints (
    run_key       TEXT NOT NULL REFERENCES history_runs (key) ON DELETE CASCADE,
    endpoint      TEXT NOT NULL,         -- '' for the whole run
    requests      INTEGER NOT NULL,
    successes     INTEGER NOT NULL,
    unsent        INTEGER NOT NULL,
    error_rate    REAL NOT NULL,
    rate_target   REAL NOT NULL,
    rate_achieved REAL NOT NULL,
    -- The latency of the successful requests, µs; NULL when none succeeded.
    p50_us  REAL, p90_us REAL, p95_us REAL, p99_us REAL, p999_us REAL, max_us REAL, mean_us REAL,
    PRIMARY KEY (run_key, endpoint)
);

CREATE TABLE history_seconds (
    run_key  TEXT NOT NULL REFERENCES history_runs (key) ON DELETE CASCADE,
    endpoint TEXT NOT NULL,              -- '' for the whole run
    t        REAL NOT NULL,              -- seconds since the attack started
    requests INTEGER NOT NULL,           -- successful requests that second
    p50_us REAL NOT NULL, p90_us REAL NOT NULL, p95_us REAL NOT NULL,
    p99_us REAL NOT NULL, p999_us REAL NOT NULL, max_us REAL NOT NULL,
    PRIMARY KEY (run_key, endpoint, t)
);

CREATE TABLE history_gates (
    run_key   TEXT NOT NULL REFERENCES history_runs (key) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    expr      TEXT NOT NULL,
    value     REAL,                      -- NULL when it could not be measured
    threshold REAL NOT NULL,
    unit      TEXT NOT NULL,
    verdict   TEXT NOT NULL,
    message   TEXT NOT NULL,
    PRIMARY KEY (run_key, position)
);

-- +goose Down
DROP TABLE history_gates;
DROP TABLE history_seconds;
DROP TABLE history_endpoints;
DROP TABLE history_runs;
