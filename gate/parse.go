package gate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/loadgate/loadgate/record"
)

// Op is a comparison operator.
type Op string

// The operators a gate may use.
const (
	Less         Op = "<"
	LessEqual    Op = "<="
	Greater      Op = ">"
	GreaterEqual Op = ">="
)

// holds reports whether value op threshold is true.
func (o Op) holds(value, threshold float64) bool {
	switch o {
	case Less:
		return value < threshold
	case LessEqual:
		return value <= threshold
	case Greater:
		return value > threshold
	case GreaterEqual:
		return value >= threshold
	}
	return false
}

// Gate is one parsed gate expression.
type Gate struct {
	// Expr is the expression as written, trimmed.
	Expr string
	// Endpoint is the request name the metric is scoped to (for
	// recovery_time and fault_error_rate: the fault's name); empty for the
	// whole run.
	Endpoint string
	// Metric is the canonical metric name without the endpoint, e.g. "p95",
	// "service_time.p99", "failed.p95", "error_rate", a named series'
	// name ("cache_hit_rate"), an inline series' key.
	Metric string
	// Population is the requests a latency metric reads: record.OK unless
	// the metric starts with "all." or "failed."; empty for other metrics.
	Population record.Population
	Op         Op
	// Threshold is in the metric's unit (Unit).
	Threshold float64
	// Unit is the metric's canonical unit: "us", "ratio", "rps", "count",
	// "s" (recovery time, a named series in seconds), "bytes" (a named
	// series of sizes), "bytes/h" or "number" (an inline target series'
	// gauge or quantile, in the series' own unit: seconds for a duration).
	Unit string
	// Series is set for a gate on a target series written inline
	// (increase(x) < 10); Metric is then its key.
	Series *record.SeriesQuery
	// Named is set for a gate on a named series the scenario declares
	// (cache_hit_rate > 60%): its name, which Metric holds too.
	Named string
}

// Parse parses one gate expression: [endpoint.]metric op value[unit].
// A latency metric (p95, service_time.p99, …) reads the endpoint's
// successful requests; "all." or "failed." before it reads all requests or
// the failed ones ("failed.p95 < 1s", "chat.all.p99 < 5s"). A metric may
// also be a named series of declared (a scenario's metrics.series, a run's
// plan.series): its threshold takes the series' unit. The error names the
// expression and what is wrong with it.
func Parse(expr string, declared ...record.Series) (Gate, error) {
	e := strings.TrimSpace(expr)
	g := Gate{Expr: e}
	fail := func(format string, args ...any) (Gate, error) {
		return Gate{}, fmt.Errorf("gate %q: %s", e, fmt.Sprintf(format, args...))
	}
	if e == "" {
		return fail("empty expression")
	}
	i := strings.IndexAny(e, "<>=!")
	if end := splitSeriesLHS(e); end > 0 {
		// A series call's label selector holds = and !: the operator
		// comes after its closing parenthesis.
		i = end + strings.IndexAny(e[end:], "<>=!")
		if i < end {
			return fail("no comparison operator (use <, <=, > or >=)")
		}
	}
	if i < 0 {
		return fail("no comparison operator (use <, <=, > or >=)")
	}
	lhs := strings.TrimSpace(e[:i])
	rest := e[i:]
	switch {
	case strings.HasPrefix(rest, "<="):
		g.Op, rest = LessEqual, rest[2:]
	case strings.HasPrefix(rest, ">="):
		g.Op, rest = GreaterEqual, rest[2:]
	case strings.HasPrefix(rest, "<"):
		g.Op, rest = Less, rest[1:]
	case strings.HasPrefix(rest, ">"):
		g.Op, rest = Greater, rest[1:]
	default:
		return fail("unsupported operator at %q (use <, <=, > or >=)", rest)
	}
	rhs := strings.TrimSpace(rest)
	if lhs == "" {
		return fail("no metric before the operator")
	}
	if rhs == "" {
		return fail("no threshold after the operator")
	}
	if seriesCall.MatchString(lhs) {
		q, err := parseSeries(lhs)
		if err != nil {
			return fail("%v", err)
		}
		k := seriesKind(q.Agg)
		g.Series, g.Metric, g.Unit = &q, q.Key(), k.unit()
		v, err := parseValue(rhs, k)
		if err != nil {
			return fail("threshold %q: %v", rhs, err)
		}
		g.Threshold = v
		return g, nil
	}
	ep, m, ok := splitMetric(lhs)
	if !ok {
		if s, found := lookupNamed(lhs, declared); found {
			k := seriesKindOf(s.Unit)
			g.Named, g.Metric, g.Unit = s.Name, s.Name, k.unit()
			v, err := parseValue(rhs, k)
			if err != nil {
				return fail("threshold %q: %v", rhs, err)
			}
			g.Threshold = v
			return g, nil
		}
		return fail("unknown metric %q (known: %s; a latency reads the successful requests, all.LATENCY or failed.LATENCY (all.p95) the others; optionally prefixed by an endpoint name; %s)", lhs, strings.Join(metricNames(), ", "), namedWords(declared))
	}
	g.Endpoint, g.Metric, g.Population = ep, m.name, m.pop
	g.Unit = m.kind.unit()
	v, err := parseValue(rhs, m.kind)
	if err != nil {
		return fail("threshold %q: %v", rhs, err)
	}
	if m.share && v > 1 {
		return fail("threshold %q: %s is a share, at most 100%%", rhs, m.name)
	}
	// A share is 0 to 100 %: "<= 100%" and ">= 0%" hold for every run, so
	// such a gate could never fail.
	if m.share && (g.Op == LessEqual && v == 1 || g.Op == GreaterEqual && v == 0) {
		return fail("%s %s %s holds for every run (%s is a share, 0 to 100%%): the gate could never fail", m.name, g.Op, rhs, m.name)
	}
	g.Threshold = v
	return g, nil
}

// MustParse is Parse for expressions known to be valid (tests, built-ins);
// it panics on an error.
func MustParse(expr string, declared ...record.Series) Gate {
	g, err := Parse(expr, declared...)
	if err != nil {
		panic(err)
	}
	return g
}

// splitMetric splits "[endpoint.]metric" into its endpoint and a known metric.
func splitMetric(s string) (string, metric, bool) {
	if m, ok := lookupMetric(s); ok {
		return "", m, true
	}
	// The longest known metric that ends s after a dot wins, so that
	// "search.service_time.p99.9" is endpoint "search".
	best, bestLen := metric{}, 0
	for name, m := range allMetrics() {
		if len(name) > bestLen && len(s) > len(name)+1 && strings.HasSuffix(s, "."+name) {
			best, bestLen = m, len(name)
		}
	}
	if bestLen == 0 {
		return "", metric{}, false
	}
	ep := s[:len(s)-bestLen-1]
	if best.runWide && !best.perFault || strings.ContainsAny(ep, " \t") {
		return "", metric{}, false
	}
	return ep, best, true
}

// parseValue reads a threshold with its unit into the metric's canonical unit.
func parseValue(s string, k kind) (float64, error) {
	num, unit := splitUnit(s)
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", num)
	}
	if v < 0 {
		return 0, fmt.Errorf("negative threshold")
	}
	switch k {
	case kindLatency:
		mult, ok := durationUnit(unit)
		if !ok {
			if unit == "" {
				return 0, fmt.Errorf("a latency needs a unit (us, µs, ms, s or m)")
			}
			return 0, fmt.Errorf("unknown latency unit %q (use us, µs, ms, s or m)", unit)
		}
		return v * mult, nil
	case kindSeconds:
		mult, ok := durationUnit(unit)
		if !ok {
			if unit == "" {
				return 0, fmt.Errorf("a duration needs a unit (ms, s or m)")
			}
			return 0, fmt.Errorf("unknown duration unit %q (use ms, s or m)", unit)
		}
		return v * mult / 1e6, nil
	case kindRatio:
		switch unit {
		case "%":
			return v / 100, nil
		case "":
			if v > 1 {
				return 0, fmt.Errorf("a ratio is between 0 and 1: write %g%% or %g", v, v/100)
			}
			return v, nil
		}
		return 0, fmt.Errorf("unknown unit %q for a ratio (use %% or a plain number between 0 and 1)", unit)
	case kindRate:
		switch unit {
		case "", "/s", "rps":
			return v, nil
		}
		return 0, fmt.Errorf("unknown unit %q for a rate (use /s or a plain number)", unit)
	case kindCount:
		if unit != "" {
			return 0, fmt.Errorf("a count takes a plain number, not %q", unit)
		}
		return v, nil
	case kindNumber:
		if mult, ok := durationUnit(unit); ok {
			return v * mult / 1e6, nil // a duration: the series' seconds
		}
		switch unit {
		case "":
			return v, nil
		case "%":
			return v / 100, nil
		}
		return 0, fmt.Errorf("unknown unit %q for a series value (a plain number, a duration such as 200ms for a series in seconds, or a percentage)", unit)
	case kindBytes:
		mult, ok := sizeUnit(unit)
		if !ok {
			return 0, fmt.Errorf("unknown unit %q for a size (use B, KB, MB or GB, or a plain number of bytes)", unit)
		}
		return v * mult, nil
	case kindGrowth:
		mult, ok := byteUnit(unit)
		if !ok {
			return 0, fmt.Errorf("unknown unit %q for memory growth (use B/h, KB/h, MB/h or GB/h)", unit)
		}
		return v * mult, nil
	}
	return 0, fmt.Errorf("unsupported metric kind")
}

// splitUnit splits "300ms" into "300" and "ms".
func splitUnit(s string) (string, string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == '-' || s[i] == '+' || s[i] == 'e' && i > 0 && i+1 < len(s) && (s[i+1] >= '0' && s[i+1] <= '9' || s[i+1] == '-')) {
		i++
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i:])
}

// durationUnit converts a duration unit to microseconds.
func durationUnit(u string) (float64, bool) {
	switch u {
	case "us", "µs", "μs":
		return 1, true
	case "ms":
		return 1e3, true
	case "s":
		return 1e6, true
	case "m":
		return 60e6, true
	}
	return 0, false
}

// sizeUnit converts a size unit to bytes (binary multiples, as
// record.FormatBytes writes them).
func sizeUnit(u string) (float64, bool) {
	if u == "" {
		return 1, true
	}
	return byteUnit(u + "/h")
}

// byteUnit converts a memory growth unit to bytes per hour.
func byteUnit(u string) (float64, bool) {
	switch u {
	case "B/h":
		return 1, true
	case "KB/h", "KiB/h":
		return 1 << 10, true
	case "MB/h", "MiB/h":
		return 1 << 20, true
	case "GB/h", "GiB/h":
		return 1 << 30, true
	}
	return 0, false
}

// namedWords says which named series the gate could have named.
func namedWords(declared []record.Series) string {
	if len(declared) == 0 {
		return "or a named series of the scenario's metrics.series, which declares none"
	}
	names := make([]string, len(declared))
	for i, s := range declared {
		names[i] = s.Name
	}
	return "or a named series: " + strings.Join(names, ", ") + " (a scenario declares them in metrics.series)"
}
