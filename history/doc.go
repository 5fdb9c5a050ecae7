// Package history is the store of past runs: every run, merge and capacity
// search adds its facts when it ends (scenario, plan hash, commit, branch,
// times, status, verdict, the statistics of the whole run and of each
// endpoint, each second's latency of the successful requests, the gates),
// so that a run can be judged against the runs before it, a scenario's
// trend drawn across commits, and a slowdown bisected to its commit.
//
// A store is an embedded SQLite file (the default, results/history.db,
// through the pure-Go driver modernc.org/sqlite) or a PostgreSQL database
// for a team (through pgx); both have the same schema, migrated by goose
// (see Open). Many processes may write one store at once (shards,
// parallel CI jobs): each run is one transaction, and a run added twice
// (by its own run, then by an import of its directory) is one row.
//
// It reads what a results directory holds through package record and
// never judges: a run's verdict is the one its run.json records. It is not
// a results directory either: the files of a run stay the record; the
// store is an index of their facts that outlives them.
package history
