package gate

import (
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// TestParseSeries: a named series' expression, ratio included, and its
// unit, given or inferred from the metric's name.
func TestParseSeries(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		expr, unit string
		want       string // the unit
		query      string // Query.Key()
		over       string // Over.Key(), "" for none
	}{
		{`ratio(increase(cache_total{result="hit"}), increase(cache_total{result=~"hit|miss"}))`, "", record.UnitRatio,
			`increase(cache_total{result="hit"})`, `increase(cache_total{result=~"hit|miss"})`},
		// A ratio of a histogram's sum and count is its mean, in its unit.
		{"ratio(increase(db_seconds_sum), increase(db_seconds_count))", "seconds", record.UnitSeconds, "increase(db_seconds_sum)", "increase(db_seconds_count)"},
		// Commas and parentheses inside label values do not split.
		{`ratio(increase(a_total{x="1,2)"}), increase(b_total))`, "", record.UnitRatio, `increase(a_total{x="1,2)"})`, "increase(b_total)"},
		{"quantile(0.95, db_query_duration_seconds)", "", record.UnitSeconds, "quantile(0.95, db_query_duration_seconds)", ""},
		{"increase(wait_seconds_total)", "", record.UnitSeconds, "increase(wait_seconds_total)", ""},
		{"increase(db_seconds_count)", "", record.UnitCount, "increase(db_seconds_count)", ""},
		{"max(process_resident_memory_bytes)", "", record.UnitBytes, "max(process_resident_memory_bytes)", ""},
		{"rate(orders_total)", "", record.UnitPerSecond, "rate(orders_total)", ""},
		{"last(queue_depth)", "", record.UnitCount, "last(queue_depth)", ""},
		{"mean(queue_depth)", "ratio", record.UnitRatio, "mean(queue_depth)", ""},
	} {
		s, err := ParseSeries("x", c.expr, c.unit)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		over := ""
		if s.Over != nil {
			over = s.Over.Key()
		}
		if s.Unit != c.want || s.Query.Key() != c.query || over != c.over || s.Expr != c.expr {
			t.Errorf("%s: %+v, want unit %s, %s over %q", c.expr, s, c.want, c.query, c.over)
		}
	}
	for _, c := range []struct{ name, expr, unit, want string }{
		{"db p95", "max(x)", "", "use letters, digits and '_'"},
		{"9lives", "max(x)", "", "not starting with a digit"},
		{"p95", "max(x)", "", "a metric of the gate language already"},
		{"error_rate", "max(x)", "", "a metric of the gate language already"},
		{"x", "", "", "empty expression"},
		{"x", "ratio(increase(a_total))", "", "ratio takes two series"},
		{"x", "ratio(increase(a_total), b_total)", "", "ratio's second series"},
		{"x", "increase(a_total", "", "not a series aggregation"},
		{"x", "sum(a_total)", "", "not a series aggregation"},
		{"x", "max(a_total)", "percent", `unknown unit "percent" (use ratio, seconds, bytes, count, per_second)`},
	} {
		_, err := ParseSeries(c.name, c.expr, c.unit)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %s (%s): %v, want %q", c.name, c.expr, c.unit, err, c.want)
		}
	}
}
