package gate

import (
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

func TestParseSeriesGates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expr      string
		key       string // the canonical query; empty: a parse error containing err
		unit      string
		threshold float64
		err       string
	}{
		// A counter's increase, label values with operators inside quotes.
		{expr: `increase(orders_total{status="failed", path!="/a<b"}) < 10`, key: `increase(orders_total{status="failed", path!="/a<b"})`, unit: "count", threshold: 10},
		// A rate per second.
		{expr: `rate(orders_total) >= 5/s`, key: `rate(orders_total)`, unit: "rps", threshold: 5},
		// Gauges, regular expressions.
		{expr: `max(queue_depth{queue=~"mail|sms"}) < 100`, key: `max(queue_depth{queue=~"mail|sms"})`, unit: "number", threshold: 100},
		{expr: `last(temperature) <= 70.5`, key: `last(temperature)`, unit: "number", threshold: 70.5},
		{expr: `mean(cpu_ratio) < 80%`, key: `mean(cpu_ratio)`, unit: "number", threshold: 0.8},
		// A histogram's quantile: a duration threshold is in seconds.
		{expr: `quantile(0.95, checkout_seconds{method!~"HEAD|OPTIONS"}) < 200ms`, key: `quantile(0.95, checkout_seconds{method!~"HEAD|OPTIONS"})`, unit: "number", threshold: 0.2},
		// Mistakes, each named.
		{expr: `quantile(1.5, x) < 1`, err: "between 0 and 1"},
		{expr: `quantile(0.9, x_bucket) < 1`, err: "name the histogram"},
		{expr: `increase(orders_total{status=failed}) < 1`, err: "double-quoted"},
		{expr: `increase(orders_total{status="x" code="y"}) < 1`, err: "commas"},
		{expr: `increase(9lives) < 1`, err: "not a metric name"},
		{expr: `increase(orders_total) < 1ms`, err: "plain number"},
		{expr: `max(x{a=~"("}) < 1`, err: "label a"},
		{expr: `increase(orders_total{status="x"})`, err: "no comparison operator"},
	}
	for _, c := range cases {
		g, err := Parse(c.expr)
		if c.key == "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want an error with %q", c.expr, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if g.Series == nil || g.Series.Key() != c.key || g.Unit != c.unit || g.Threshold != c.threshold {
			t.Errorf("%s: key %v unit %s threshold %v; want %s %s %v", c.expr, g.Series, g.Unit, g.Threshold, c.key, c.unit, c.threshold)
		}
	}
}

func TestEvaluateSeriesGates(t *testing.T) {
	t.Parallel()
	run := &record.Run{Server: record.Server{
		Series:      map[string]float64{`increase(orders_total{status="failed"})`: 12},
		SeriesNotes: map[string]string{`max(queue_depth)`: "queue_depth was never scraped"},
	}}
	gates := Evaluate(run, []string{
		`increase(orders_total{status="failed"}) < 10`,
		`increase(orders_total{status = "failed"}) < 20`, // spaces: the same key
		`max(queue_depth) < 5`,
		`rate(other_total) > 1`,
	})
	want := []string{record.VerdictFail, record.VerdictPass, record.VerdictUnknown, record.VerdictUnknown}
	for i, g := range gates {
		if g.Verdict != want[i] {
			t.Errorf("%s: %s (%s), want %s", g.Expr, g.Verdict, g.Message, want[i])
		}
	}
	if !strings.Contains(gates[2].Message, "never scraped") || !strings.Contains(gates[3].Message, "was not measured") {
		t.Errorf("unknown messages: %q, %q", gates[2].Message, gates[3].Message)
	}
	var parsed []Gate
	for _, e := range []string{`p95 < 1s`, `increase(a_total) < 1`, `increase(a_total) > 0`, `quantile(0.5, h) < 1s`} {
		parsed = append(parsed, MustParse(e))
	}
	qs := SeriesQueries(parsed)
	if len(qs) != 2 || qs[0].Key() != "increase(a_total)" || qs[1].Key() != "quantile(0.5, h)" {
		t.Errorf("SeriesQueries: %+v", qs)
	}
}
