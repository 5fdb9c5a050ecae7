package scenarios

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Limits of a flow step.
const (
	// MaxChecks is the most checks one step may have.
	MaxChecks = 64
	// MaxExtracts is the most values one step may extract.
	MaxExtracts = 64
	// DefaultMaxBody bounds how much of a response body checks and extracts
	// read; the rest is read and discarded.
	DefaultMaxBody = 1 << 20
	// DefaultRedirects is how many redirects a request follows by default.
	DefaultRedirects = 10
	// DefaultGracefulStop is how long flow iterations may finish after the
	// stages end.
	DefaultGracefulStop = 30 * time.Second
)

// Data holding: how long a flow keeps a value it drew.
const (
	// PerIteration draws every data source a flow uses once per iteration
	// (the default).
	PerIteration = "iteration"
	// PerUser keeps the value for the virtual user's life (closed model);
	// in the open model a user lives for one iteration.
	PerUser = "user"
)

// IterationName is the endpoint suffix of a flow's iterations in results
// ("buyer.iteration"); no step may take it as its name.
const IterationName = "iteration"

// Flow is a user journey: ordered steps that one virtual user runs in turn,
// carrying values (extract), cookies and data rows from step to step.
type Flow struct {
	// Name labels the flow; its steps are endpoints "<flow>.<step>".
	Name string `yaml:"name"`
	// Weight is the flow's share of the mix (with requests and other flows);
	// default 1, > 0.
	Weight float64 `yaml:"weight"`
	// Cookies keeps a cookie jar per virtual user (closed model) or per
	// iteration (open model); default true.
	Cookies *bool `yaml:"cookies"`
	// Steps run in order; a failed step ends its iteration.
	Steps []FlowStep `yaml:"steps"`
}

// CookiesOn reports whether the flow keeps a cookie jar.
func (f Flow) CookiesOn() bool { return f.Cookies == nil || *f.Cookies }

// FlowStep is one request of a flow: every field of a request, plus checks on
// its response, values extracted from it, a pause after it and a timeout.
type FlowStep struct {
	// Name labels the step; unique within its flow, not "iteration".
	Name string `yaml:"name"`
	// Method is the HTTP method; default GET.
	Method string `yaml:"method"`
	// Path is appended to the target's base URL; may hold templates.
	Path string `yaml:"path"`
	// Body is sent after templating; in a JSON body a template inside a
	// string is JSON-escaped.
	Body string `yaml:"body"`
	// Headers are added to the target's headers; values may hold templates.
	Headers map[string]string `yaml:"headers"`
	// Expect lists the status codes that count as success; default 200–399.
	Expect []int `yaml:"expect"`
	// Check lists conditions on the response; a failed one fails the step.
	Check []Check `yaml:"check"`
	// Extract sets variables from the response for the later steps.
	Extract map[string]Extract `yaml:"extract"`
	// Think is the pause between this step's response and the next step.
	Think Think `yaml:"think"`
	// Timeout bounds this step's request; default the target's timeout.
	Timeout Duration `yaml:"timeout"`
	// Redirects is how many redirects this step follows; default the
	// target's.
	Redirects *int `yaml:"redirects"`
	// Stream and StreamContent are a request's (Request.Stream).
	Stream        string `yaml:"stream"`
	StreamContent string `yaml:"stream_content"`
}

// Check is one condition on a response. Exactly one of Status,
// BodyContains, BodyMatches, JSON, Header and MaxDuration is set; JSON and
// Header take at most one of Exists, Equals, Matches and Compare (default:
// exists).
type Check struct {
	// Name labels the check in results; default a description of it.
	Name string `yaml:"name"`
	// Status is a set of codes, classes and ranges: 200, "2xx", "200-204".
	Status StatusSet `yaml:"status"`
	// BodyContains is text the body must contain; may hold templates.
	BodyContains string `yaml:"body_contains"`
	// BodyMatches is a regular expression (RE2) the body must match.
	BodyMatches string `yaml:"body_matches"`
	// JSON is a path into a JSON body: $.meal.id, $.items[0].name.
	JSON string `yaml:"json"`
	// Header names a response header.
	Header string `yaml:"header"`
	// Exists says the JSON value or header must be present (true) or absent.
	Exists *bool `yaml:"exists"`
	// Equals is the value's text (a JSON string unquoted; numbers compare
	// as numbers); may hold templates.
	Equals *string `yaml:"equals"`
	// Matches is a regular expression the value's text must match.
	Matches string `yaml:"matches"`
	// Compare is a numeric comparison: "> 0", "<= {{limit}}" (JSON only).
	Compare string `yaml:"compare"`
	// MaxDuration bounds the response time (from send to the last byte).
	MaxDuration Duration `yaml:"max_duration"`
}

// Kind names the check's subject: status, body_contains, body_matches,
// json, header or max_duration; several joined by "+" when more than one is
// set, "" when none is.
func (c Check) Kind() string {
	var kinds []string
	if c.Status != nil {
		kinds = append(kinds, "status")
	}
	if c.BodyContains != "" {
		kinds = append(kinds, "body_contains")
	}
	if c.BodyMatches != "" {
		kinds = append(kinds, "body_matches")
	}
	if c.JSON != "" {
		kinds = append(kinds, "json")
	}
	if c.Header != "" {
		kinds = append(kinds, "header")
	}
	if c.MaxDuration != 0 {
		kinds = append(kinds, "max_duration")
	}
	return strings.Join(kinds, "+")
}

// Condition names what a json or header check tests: exists, absent,
// equals, matches or compare ("" with more than one).
func (c Check) Condition() string {
	n := 0
	cond := "exists"
	if c.Exists != nil {
		n++
		if !*c.Exists {
			cond = "absent"
		}
	}
	if c.Equals != nil {
		n, cond = n+1, "equals"
	}
	if c.Matches != "" {
		n, cond = n+1, "matches"
	}
	if c.Compare != "" {
		n, cond = n+1, "compare"
	}
	if n > 1 {
		return ""
	}
	return cond
}

// Label is the check's name in results: Name, or a short description.
func (c Check) Label() string {
	if c.Name != "" {
		return c.Name
	}
	subject := ""
	switch c.Kind() {
	case "status":
		return "status " + c.Status.String()
	case "body_contains":
		return fmt.Sprintf("body contains %q", c.BodyContains)
	case "body_matches":
		return fmt.Sprintf("body matches %q", c.BodyMatches)
	case "max_duration":
		return "duration <= " + c.MaxDuration.String()
	case "json":
		subject = c.JSON
	case "header":
		subject = "header " + c.Header
	}
	switch c.Condition() {
	case "absent":
		return subject + " absent"
	case "equals":
		return fmt.Sprintf("%s == %q", subject, *c.Equals)
	case "matches":
		return fmt.Sprintf("%s matches %q", subject, c.Matches)
	case "compare":
		return subject + " " + strings.TrimSpace(c.Compare)
	}
	return subject + " exists"
}

// Extract sets one variable from a response. Exactly one field is set.
type Extract struct {
	// JSON is a path into a JSON body; the value's text (strings unquoted,
	// anything else as written).
	JSON string `yaml:"json"`
	// Header names a response header; its first value.
	Header string `yaml:"header"`
	// Regex is matched against the body; the first group, or the whole
	// match when it has no group.
	Regex string `yaml:"regex"`
	// Cookie names a cookie the response sets.
	Cookie string `yaml:"cookie"`
}

// Kind names the field that is set: json, header, regex or cookie.
func (e Extract) Kind() string {
	var kinds []string
	if e.JSON != "" {
		kinds = append(kinds, "json")
	}
	if e.Header != "" {
		kinds = append(kinds, "header")
	}
	if e.Regex != "" {
		kinds = append(kinds, "regex")
	}
	if e.Cookie != "" {
		kinds = append(kinds, "cookie")
	}
	return strings.Join(kinds, "+")
}

// StatusRange is an inclusive range of status codes.
type StatusRange struct{ Lo, Hi int }

// StatusSet is a set of status codes written as codes, classes ("2xx") and
// ranges ("200-204"), alone or in a list.
type StatusSet []StatusRange

// Has reports whether code is in the set.
func (s StatusSet) Has(code int) bool {
	for _, r := range s {
		if code >= r.Lo && code <= r.Hi {
			return true
		}
	}
	return false
}

// String formats the set as it would be written.
func (s StatusSet) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		switch {
		case r.Lo == r.Hi:
			parts[i] = strconv.Itoa(r.Lo)
		case r.Lo%100 == 0 && r.Hi == r.Lo+99:
			parts[i] = strconv.Itoa(r.Lo/100) + "xx"
		default:
			parts[i] = fmt.Sprintf("%d-%d", r.Lo, r.Hi)
		}
	}
	return strings.Join(parts, ",")
}

// UnmarshalYAML parses one item or a list of them.
func (s *StatusSet) UnmarshalYAML(n *yaml.Node) error {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
		if len(items) == 0 {
			return errors.New("empty status list")
		}
	}
	var out StatusSet
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			return errors.New(`want status codes such as 200, "2xx" or "200-204"`)
		}
		r, err := ParseStatusRange(it.Value)
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	*s = out
	return nil
}

// ParseStatusRange parses "200", "2xx" or "200-204".
func ParseStatusRange(text string) (StatusRange, error) {
	t := strings.TrimSpace(text)
	bad := fmt.Errorf(`bad status %q: want a code (200), a class ("2xx") or a range ("200-204") between 100 and 599`, text)
	if len(t) == 3 && t[1:] == "xx" && t[0] >= '1' && t[0] <= '5' {
		lo := int(t[0]-'0') * 100
		return StatusRange{lo, lo + 99}, nil
	}
	a, b, isRange := strings.Cut(t, "-")
	lo, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return StatusRange{}, bad
	}
	hi := lo
	if isRange {
		if hi, err = strconv.Atoi(strings.TrimSpace(b)); err != nil {
			return StatusRange{}, bad
		}
	}
	if lo < 100 || hi > 599 || lo > hi {
		return StatusRange{}, bad
	}
	return StatusRange{lo, hi}, nil
}

// Think distributions.
const (
	ThinkConstant    = "constant"
	ThinkUniform     = "uniform"
	ThinkNormal      = "normal"
	ThinkExponential = "exponential"
)

// Think is a pause drawn from a distribution, written "2s" (constant),
// "uniform(1s, 3s)", "normal(2s, 500ms)" (mean, standard deviation; draws
// below 0 are 0) or "exponential(2s)" (mean). The zero value is no pause.
type Think struct {
	// Dist is one of the Think* constants; "" for no pause.
	Dist string
	// A is the constant, the uniform minimum, or the mean.
	A time.Duration
	// B is the uniform maximum or the normal standard deviation.
	B time.Duration
}

// IsZero reports whether there is no pause.
func (t Think) IsZero() bool { return t.Dist == "" || t.Dist == ThinkConstant && t.A == 0 }

// Constant reports whether every draw is the same, and that duration.
func (t Think) Constant() (time.Duration, bool) {
	if t.Dist == "" {
		return 0, true
	}
	return t.A, t.Dist == ThinkConstant
}

// Mean is the distribution's mean (a normal's truncation at 0 ignored).
func (t Think) Mean() time.Duration {
	if t.Dist == ThinkUniform {
		return (t.A + t.B) / 2
	}
	return t.A
}

// String formats the pause as it would be written.
func (t Think) String() string {
	switch t.Dist {
	case "":
		return "0s"
	case ThinkConstant:
		return t.A.String()
	case ThinkExponential:
		return fmt.Sprintf("exponential(%s)", t.A)
	}
	return fmt.Sprintf("%s(%s, %s)", t.Dist, t.A, t.B)
}

// UnmarshalYAML parses a think scalar.
func (t *Think) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New(`want a pause such as 2s, "uniform(1s, 3s)", "normal(2s, 500ms)" or "exponential(2s)"`)
	}
	v, err := ParseThink(n.Value)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalYAML writes the pause as text.
func (t Think) MarshalYAML() (any, error) { return t.String(), nil }

// ParseThink parses a pause: a duration or dist(args).
func ParseThink(text string) (Think, error) {
	s := strings.TrimSpace(text)
	open := strings.IndexByte(s, '(')
	if open < 0 {
		d, err := ParseDuration(s)
		if err != nil {
			return Think{}, err
		}
		if d == 0 {
			return Think{}, nil
		}
		return Think{Dist: ThinkConstant, A: d}, nil
	}
	dist := strings.TrimSpace(s[:open])
	if !strings.HasSuffix(s, ")") {
		return Think{}, fmt.Errorf("bad pause %q: unterminated (", text)
	}
	var args []time.Duration
	for _, a := range strings.Split(s[open+1:len(s)-1], ",") {
		d, err := ParseDuration(a)
		if err != nil {
			return Think{}, fmt.Errorf("bad pause %q: %w", text, err)
		}
		args = append(args, d)
	}
	want := 2
	switch dist {
	case ThinkUniform, ThinkNormal:
	case ThinkExponential:
		want = 1
	default:
		return Think{}, fmt.Errorf("bad pause %q: unknown distribution %q (want uniform, normal or exponential, or a plain duration)", text, dist)
	}
	if len(args) != want {
		return Think{}, fmt.Errorf("bad pause %q: %s takes %d durations", text, dist, want)
	}
	t := Think{Dist: dist, A: args[0]}
	if want == 2 {
		t.B = args[1]
	}
	if dist == ThinkUniform && t.B < t.A {
		return Think{}, fmt.Errorf("bad pause %q: the maximum is below the minimum", text)
	}
	if dist == ThinkExponential && t.A == 0 {
		return Think{}, fmt.Errorf("bad pause %q: the mean must be positive", text)
	}
	return t, nil
}

// Size is a number of bytes, written 1048576, "512KiB", "1MiB" or "1MB".
type Size int64

// UnmarshalYAML parses a size scalar.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New(`want a size such as 1MiB or 65536`)
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return err
	}
	*s = Size(v)
	return nil
}

// ParseSize parses a byte count with an optional unit (B, KB, KiB, MB, MiB,
// GB, GiB).
func ParseSize(text string) (int64, error) {
	s := strings.TrimSpace(text)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("bad size %q: want a number of bytes, optionally with a unit (KiB, MiB, KB, MB)", text)
	}
	mult := map[string]float64{"": 1, "B": 1, "KB": 1e3, "KiB": 1 << 10, "MB": 1e6, "MiB": 1 << 20, "GB": 1e9, "GiB": 1 << 30}
	m, ok := mult[strings.TrimSpace(s[i:])]
	if !ok {
		return 0, fmt.Errorf("bad size %q: unknown unit %q (want B, KB, KiB, MB, MiB, GB or GiB)", text, strings.TrimSpace(s[i:]))
	}
	return int64(v * m), nil
}

// EndpointName is the results name of a flow's step: "<flow>.<step>".
func EndpointName(flow, step string) string { return flow + "." + step }
