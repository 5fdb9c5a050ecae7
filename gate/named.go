package gate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/loadgate/loadgate/record"
)

// A named series is declared by a scenario (metrics.series) as a name, a
// series expression and a unit:
//
//	cache_hit_rate: ratio(increase(cache_requests_total{result="hit"}), increase(cache_requests_total))
//	db_p95:         quantile(0.95, db_query_duration_seconds)
//
// An expression is one aggregation of the series language (see series.go),
// or ratio(A, B) of two: A over B, each over the same scrapes. A gate names
// the series by its name (cache_hit_rate > 60%), and its threshold takes
// the series' unit.

// seriesNameRE is a named series' name: a word that a gate can name.
var seriesNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ratioCall matches "ratio(a, b)" as a whole expression.
var ratioCall = regexp.MustCompile(`^ratio\s*\((.*)\)$`)

// ParseSeries parses a named series: its name, its expression and its
// unit (one of record.SeriesUnits; "" infers it: a ratio of two series is a
// ratio, a rate per second; otherwise the metric's name says it as
// Prometheus's naming conventions do, _seconds a duration, _bytes a size,
// anything else a count). The error says what is wrong with the name, the
// expression or the unit; it names neither the file nor the line, which the
// caller knows.
func ParseSeries(name, expr, unit string) (record.Series, error) {
	s := record.Series{Name: name, Expr: strings.TrimSpace(expr), Unit: unit}
	fail := func(part string, format string, args ...any) (record.Series, error) {
		return s, &SeriesError{Part: part, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case !seriesNameRE.MatchString(name):
		return fail(PartName, "series name %q: use letters, digits and '_', not starting with a digit (a gate names it as a word)", name)
	case IsMetric(name):
		return fail(PartName, "series name %q is a metric of the gate language already: choose another", name)
	case s.Expr == "":
		return fail(PartExpr, "series %s: empty expression", name)
	}
	if m := ratioCall.FindStringSubmatch(s.Expr); m != nil {
		a, b, ok := splitArgs(m[1])
		if !ok {
			return fail(PartExpr, "series %s: ratio takes two series: ratio(increase(hits_total), increase(lookups_total))", name)
		}
		num, err := parseSeries(a)
		if err != nil {
			return fail(PartExpr, "series %s: ratio's first series: %w", name, err)
		}
		den, err := parseSeries(b)
		if err != nil {
			return fail(PartExpr, "series %s: ratio's second series: %w", name, err)
		}
		s.Query, s.Over = num, &den
	} else {
		q, err := parseSeries(s.Expr)
		if err != nil {
			return fail(PartExpr, "series %s: %w", name, err)
		}
		s.Query = q
	}
	if s.Unit == "" {
		s.Unit = inferUnit(s)
	}
	if !slices.Contains(record.SeriesUnits, s.Unit) {
		return fail(PartUnit, "series %s: unknown unit %q (use %s)", name, s.Unit, strings.Join(record.SeriesUnits, ", "))
	}
	return s, nil
}

// Parts of a named series' declaration that an error is about
// (SeriesError.Part).
const (
	PartName = "name"
	PartExpr = "expr"
	PartUnit = "unit"
)

// SeriesError is ParseSeries' error: what is wrong, and with which part of
// the declaration.
type SeriesError struct {
	Part string
	Err  error
}

func (e *SeriesError) Error() string { return e.Err.Error() }
func (e *SeriesError) Unwrap() error { return e.Err }

// Field is the part as a field path's suffix: "" for the name (the
// declaration itself), ".expr" or ".unit".
func (e *SeriesError) Field() string {
	if e.Part == PartName {
		return ""
	}
	return "." + e.Part
}

// splitArgs splits "a, b" at the comma outside parentheses, braces and
// quotes.
func splitArgs(s string) (string, string, bool) {
	depth, quoted := 0, false
	at := -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(' || c == '{':
			depth++
		case c == ')' || c == '}':
			depth--
		case c == ',' && depth == 0:
			if at >= 0 {
				return "", "", false
			}
			at = i
		}
	}
	if at < 0 {
		return "", "", false
	}
	return strings.TrimSpace(s[:at]), strings.TrimSpace(s[at+1:]), true
}

// inferUnit is the unit of a series whose declaration gives none.
func inferUnit(s record.Series) string {
	switch {
	case s.Over != nil:
		return record.UnitRatio
	case s.Query.Agg == record.AggRate:
		return record.UnitPerSecond
	}
	m := s.Query.Metric
	if strings.HasSuffix(m, "_count") {
		return record.UnitCount // observations, whatever they measure
	}
	m = strings.TrimSuffix(strings.TrimSuffix(m, "_total"), "_sum")
	switch {
	case strings.HasSuffix(m, "_seconds"):
		return record.UnitSeconds
	case strings.HasSuffix(m, "_bytes"):
		return record.UnitBytes
	}
	return record.UnitCount
}

// IsMetric reports whether name is a metric of the gate language (p95,
// error_rate, recovery_time …), which a named series may not shadow.
func IsMetric(name string) bool {
	_, ok := lookupMetric(name)
	return ok
}

// seriesKindOf is the kind of a named series' values, which decides the
// units its gates' thresholds take.
func seriesKindOf(unit string) kind {
	switch unit {
	case record.UnitRatio:
		return kindRatio
	case record.UnitSeconds:
		return kindSeconds
	case record.UnitBytes:
		return kindBytes
	case record.UnitPerSecond:
		return kindRate
	}
	return kindCount
}

// lookupNamed finds the declared series a gate names: by its name, or as
// server.NAME (the prefix older gates wrote for cache_hit_rate).
func lookupNamed(name string, declared []record.Series) (record.Series, bool) {
	name = strings.TrimPrefix(name, "server.")
	for _, s := range declared {
		if s.Name == name {
			return s, true
		}
	}
	return record.Series{}, false
}
