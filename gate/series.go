package gate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/loadgate/loadgate/record"
)

// A gate on a series the target exposes names its aggregation over the
// measured window:
//
//	increase(orders_total{status="failed"}) < 10     a counter's increase
//	rate(orders_total) > 5/s                         that increase per second
//	max(queue_depth) < 100                           a gauge: max, last or mean of the scrapes
//	quantile(0.95, checkout_seconds) < 200ms         a histogram's quantile
//
// A named series (named.go) is one such aggregation, or the ratio of two.
// The runner measures the scenario's named series and the ones its gates
// write inline (SeriesQueries), reset-aware, and records them in run.json's
// server.series.

// seriesCall matches "agg(args)" as a whole left-hand side.
var seriesCall = regexp.MustCompile(`^(increase|rate|max|last|mean|quantile)\s*\((.*)\)$`)

// metricNameRE is a Prometheus metric name; labelNameRE a label name.
var (
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// seriesKind is the kind of a series gate's value, which decides the units
// its threshold takes.
func seriesKind(agg string) kind {
	switch agg {
	case record.AggIncrease:
		return kindCount
	case record.AggRate:
		return kindRate
	}
	return kindNumber
}

// splitSeriesLHS finds where a left-hand side that starts with a series
// call ends: the index just after its closing parenthesis (quotes in label
// values respected), or -1 when e does not start with one.
func splitSeriesLHS(e string) int {
	open := strings.IndexByte(e, '(')
	if open < 0 || !seriesCall.MatchString(strings.TrimSpace(e[:open])+"()") {
		return -1
	}
	depth, quoted := 0, false
	for i := open; i < len(e); i++ {
		switch c := e[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// parseSeries parses a series call such as `quantile(0.95, x{a="b"})`.
func parseSeries(lhs string) (record.SeriesQuery, error) {
	m := seriesCall.FindStringSubmatch(strings.TrimSpace(lhs))
	if m == nil {
		return record.SeriesQuery{}, fmt.Errorf("%q is not a series aggregation", lhs)
	}
	q := record.SeriesQuery{Agg: m[1]}
	arg := strings.TrimSpace(m[2])
	if q.Agg == record.AggQuantile {
		num, rest, ok := strings.Cut(arg, ",")
		if !ok {
			return q, fmt.Errorf("quantile takes a level and a histogram: quantile(0.95, name)")
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || v <= 0 || v >= 1 {
			return q, fmt.Errorf("quantile level %q: want a number between 0 and 1, e.g. 0.95", strings.TrimSpace(num))
		}
		q.Q, arg = v, strings.TrimSpace(rest)
	}
	name, sel, hasSel := strings.Cut(arg, "{")
	q.Metric = strings.TrimSpace(name)
	if !metricNameRE.MatchString(q.Metric) {
		return q, fmt.Errorf("%q is not a metric name", q.Metric)
	}
	if q.Agg == record.AggQuantile && strings.HasSuffix(q.Metric, "_bucket") {
		return q, fmt.Errorf("name the histogram, not its buckets: %s", strings.TrimSuffix(q.Metric, "_bucket"))
	}
	if hasSel {
		body, ok := strings.CutSuffix(strings.TrimSpace(sel), "}")
		if !ok {
			return q, fmt.Errorf("the label selector of %s does not end with }", q.Metric)
		}
		ms, err := parseMatchers(body)
		if err != nil {
			return q, fmt.Errorf("%s{…}: %w", q.Metric, err)
		}
		q.Matchers = ms
	}
	return q, nil
}

// parseMatchers parses `a="x", b!~"y.*"`.
func parseMatchers(s string) ([]record.Matcher, error) {
	var out []record.Matcher
	for rest := strings.TrimSpace(s); rest != ""; {
		i := strings.IndexAny(rest, "=!")
		if i < 0 {
			return nil, fmt.Errorf("%q: want label=\"value\" (or !=, =~, !~)", rest)
		}
		m := record.Matcher{Label: strings.TrimSpace(rest[:i])}
		if !labelNameRE.MatchString(m.Label) {
			return nil, fmt.Errorf("%q is not a label name", m.Label)
		}
		rest = rest[i:]
		for _, op := range []string{"=~", "!~", "!=", "="} {
			if strings.HasPrefix(rest, op) {
				m.Op, rest = op, strings.TrimSpace(rest[len(op):])
				break
			}
		}
		if m.Op == "" {
			return nil, fmt.Errorf("label %s: want =, !=, =~ or !~", m.Label)
		}
		val, n, err := quotedPrefix(rest)
		if err != nil {
			return nil, fmt.Errorf("label %s: %w", m.Label, err)
		}
		m.Value, rest = val, strings.TrimSpace(rest[n:])
		if m.Op == "=~" || m.Op == "!~" {
			if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
				return nil, fmt.Errorf("label %s: %w", m.Label, err)
			}
		}
		out = append(out, m)
		if rest != "" {
			after, ok := strings.CutPrefix(rest, ",")
			if !ok {
				return nil, fmt.Errorf("%q: separate matchers with commas", rest)
			}
			rest = strings.TrimSpace(after)
		}
	}
	return out, nil
}

// quotedPrefix reads the double-quoted string s starts with: its value and
// its length as written.
func quotedPrefix(s string) (string, int, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", 0, fmt.Errorf("want a double-quoted value, got %q", s)
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", 0, fmt.Errorf("bad value %s", s[:i+1])
			}
			return v, i + 1, nil
		}
	}
	return "", 0, fmt.Errorf("unterminated value %s", s)
}

// SeriesQueries lists the target series the gates write inline, each
// once, in order: what the runner measures beside the named series.
func SeriesQueries(gates []Gate) []record.SeriesQuery {
	var out []record.SeriesQuery
	seen := map[string]bool{}
	for _, g := range gates {
		if g.Series == nil || seen[g.Series.Key()] {
			continue
		}
		seen[g.Series.Key()] = true
		out = append(out, *g.Series)
	}
	return out
}

// seriesValue reads a series gate's value from run.json's server.series:
// a named series by its name, an inline one by its key.
func (g Gate) seriesValue(in Input) (float64, string) {
	key, what := g.Named, "the series "+g.Named
	if g.Series != nil {
		key, what = g.Series.Key(), "the target series "+g.Series.Key()
	}
	if v, ok := in.Run.Server.Series[key]; ok {
		return v, ""
	}
	if why := in.Run.Server.SeriesNotes[key]; why != "" {
		return 0, why
	}
	return 0, fmt.Sprintf("%s was not measured in this run (the runner measures the scenario's metrics.series and the series its gates name, from its metrics.url)", what)
}
