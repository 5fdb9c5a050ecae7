// Package gate is loadgate's gate language: expressions such as
// "p95 < 3s", "error_rate < 1%" or "nutrition_search.p99 <= 100ms" that turn
// a run's statistics (package record) into a pass, fail or unknown verdict.
//
// Parse checks an expression and says what is wrong with it, once: the
// scenario keeps the parsed Gate, and the runner evaluates its abort gates
// and measures the target series they name from it. Check says why a gate
// could only be unknown in a run of a scenario (its Scope), so that the
// scenario refuses it before anything is sent. Evaluate reads the metrics
// of a record.Run and returns one record.Gate per expression; Verdict
// combines them (a fail outranks an unknown). A metric that is absent (no
// such endpoint, a series never scraped) is unknown, never a pass.
//
// The target's own figures are series: a scenario declares named series
// (ParseSeries: cache_hit_rate as a ratio of two counters' increases), and
// a gate names one as it names a metric (cache_hit_rate > 60%), its
// threshold in the series' unit; a gate may also write a series inline
// (increase(orders_total) < 10). The package knows no target's metric
// names.
// The package reads only the results contract: it knows nothing about
// scenario files, histograms or rendering.
package gate
