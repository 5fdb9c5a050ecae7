// Package scenarios defines loadgate's scenario format: the YAML schema, a
// strict parser whose errors name the file, line, column and field, `${VAR}`
// expansion, one Validate that reports every problem, overrides (target,
// duration, rate, shard) and the built-in scenarios embedded in the binary.
//
// It describes a load test; it sends nothing. The runner package turns a
// Scenario into an attack, and the report package parses the gate strings
// kept here.
package scenarios
