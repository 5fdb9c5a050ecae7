// Package gate is loadgate's gate language: expressions such as
// "p95 < 3s", "error_rate < 1%" or "nutrition_search.p99 <= 100ms" that turn
// a run's statistics (package record) into a pass, fail or unknown verdict.
//
// Parse checks an expression and says what is wrong with it; Evaluate reads
// the metrics of a record.Run and returns one record.Gate per expression.
// A metric that is absent (no such endpoint, a server metric never scraped)
// is unknown, never a pass. The package reads only the results contract: it knows
// nothing about files, histograms or rendering.
package gate
