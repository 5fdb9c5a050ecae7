// Package scenarios defines loadgate's scenario format: the YAML schema, a
// strict parser whose errors name the file, line, column and field, `${VAR}`
// expansion, one Validate that reports every problem, overrides (target,
// duration, rate, shard) and the built-in scenarios embedded in the binary.
//
// Each gate is parsed in the gate language (package gate) when the scenario
// is loaded, and a gate that could only be unknown in a run of this scenario
// is refused then, with the other problems.
//
// It describes a load test; it sends nothing. The runner package turns a
// Scenario into an attack; the report package evaluates the gates a run
// recorded.
package scenarios
