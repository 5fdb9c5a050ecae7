package runner

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/loadgate/loadgate/scenarios"
)

// response is what checks and extracts see of one response. body holds at
// most the target's max_body bytes, and only when a check or extract of
// the step reads it; cut says the body went on beyond them.
type response struct {
	code     int
	header   http.Header
	body     []byte
	cut      bool
	duration time.Duration
	shape    jsonShape // the body's, once a json check asked
}

// isJSON reports whether the body is JSON: one JSON value, or, when it was
// cut at max_body, the beginning of one. The body is scanned once, by the
// first json check that asks.
func (r *response) isJSON() bool {
	if r.shape == shapeUnknown {
		r.shape = scanJSON(r.body)
	}
	return r.shape == shapeWhole || r.shape == shapeCut && r.cut
}

type checkKind uint8

const (
	checkStatus checkKind = iota
	checkBodyContains
	checkBodyMatches
	checkJSON
	checkHeader
	checkDuration
)

type condition uint8

const (
	condExists condition = iota
	condAbsent
	condEquals
	condMatches
	condCompare
)

// compiledCheck is a check ready to run against responses.
type compiledCheck struct {
	label  string
	kind   checkKind
	cond   condition
	status scenarios.StatusSet
	text   []part // body_contains, equals, or compare's operand
	re     *regexp.Regexp
	path   []scenarios.PathElem
	header string
	op     string
	maxDur time.Duration
}

func (c *compiledCheck) needsBody() bool {
	return c.kind == checkBodyContains || c.kind == checkBodyMatches || c.kind == checkJSON
}

func compileCheck(c scenarios.Check, res resolver) (compiledCheck, error) {
	cc := compiledCheck{label: c.Label(), status: c.Status, header: http.CanonicalHeaderKey(c.Header), maxDur: c.MaxDuration.D()}
	var err error
	switch c.Kind() {
	case "status":
		cc.kind = checkStatus
	case "body_contains":
		cc.kind = checkBodyContains
		cc.text, err = compileTemplate(c.BodyContains, escRaw, res)
	case "body_matches":
		cc.kind = checkBodyMatches
		cc.re, err = regexp.Compile(c.BodyMatches)
	case "json":
		cc.kind = checkJSON
		cc.path, err = scenarios.ParseJSONPath(c.JSON)
	case "header":
		cc.kind = checkHeader
	case "max_duration":
		cc.kind = checkDuration
	default:
		return cc, fmt.Errorf("check %q: no kind", cc.label) // validated by scenarios
	}
	if err != nil {
		return cc, fmt.Errorf("check %q: %w", cc.label, err)
	}
	if cc.kind != checkJSON && cc.kind != checkHeader {
		return cc, nil
	}
	switch c.Condition() {
	case "absent":
		cc.cond = condAbsent
	case "equals":
		cc.cond = condEquals
		cc.text, err = compileTemplate(*c.Equals, escRaw, res)
	case "matches":
		cc.cond = condMatches
		cc.re, err = regexp.Compile(c.Matches)
	case "compare":
		cc.cond = condCompare
		var operand string
		if cc.op, operand, err = scenarios.ParseCompare(c.Compare); err == nil {
			cc.text, err = compileTemplate(operand, escRaw, res)
		}
	}
	if err != nil {
		return cc, fmt.Errorf("check %q: %w", cc.label, err)
	}
	return cc, nil
}

// pass evaluates the check. w holds the iteration's data and variables and
// scratch buffers, so that a check allocates nothing.
func (c *compiledCheck) pass(r *response, w *worker) bool {
	switch c.kind {
	case checkStatus:
		return c.status.Has(r.code)
	case checkDuration:
		return r.duration <= c.maxDur
	case checkBodyContains:
		w.want = render(w.want[:0], c.text, w.drawn, &w.env)
		return bytes.Contains(r.body, w.want)
	case checkBodyMatches:
		return c.re.Match(r.body)
	case checkHeader:
		vals, ok := r.header[c.header]
		if !ok || len(vals) == 0 {
			return c.cond == condAbsent
		}
		w.value = append(w.value[:0], vals[0]...)
	case checkJSON:
		if !r.isJSON() {
			return false // whatever the condition: a body that is not JSON has no path
		}
		v, ok := jsonLookup(r.body, c.path)
		if !ok {
			return c.cond == condAbsent
		}
		if c.cond == condCompare {
			return c.compare(v, w)
		}
		w.value = appendJSONText(w.value[:0], v)
	}
	switch c.cond {
	case condExists:
		return true
	case condAbsent:
		return false
	case condMatches:
		return c.re.Match(w.value)
	case condEquals:
		w.want = render(w.want[:0], c.text, w.drawn, &w.env)
		if bytes.Equal(w.value, w.want) {
			return true
		}
		// 1 and 1.0 are the same number.
		a, okA := parseNumber(w.value)
		b, okB := parseNumber(w.want)
		return okA && okB && a == b
	}
	return false
}

// compare tests a JSON number against the operand.
func (c *compiledCheck) compare(v []byte, w *worker) bool {
	w.value = appendJSONText(w.value[:0], v)
	a, ok := parseNumber(w.value)
	if !ok {
		return false
	}
	w.want = render(w.want[:0], c.text, w.drawn, &w.env)
	b, ok := parseNumber(w.want)
	if !ok {
		return false
	}
	switch c.op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "==":
		return a == b
	case "!=":
		return a != b
	}
	return false
}

// parseNumber parses a decimal number. Numbers of up to 32 bytes parse
// without allocating: the conversion's copy stays on the stack, as
// strconv keeps its argument only in a copy inside its error.
func parseNumber(b []byte) (float64, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

type extractKind uint8

const (
	extractJSON extractKind = iota
	extractHeader
	extractRegex
	extractCookie
)

// compiledExtract sets one variable from a response.
type compiledExtract struct {
	name string
	slot int // the variable
	kind extractKind
	path []scenarios.PathElem
	key  string // header or cookie name
	re   *regexp.Regexp
}

func (e *compiledExtract) needsBody() bool { return e.kind == extractJSON || e.kind == extractRegex }

func compileExtract(name string, slot int, e scenarios.Extract) (compiledExtract, error) {
	ce := compiledExtract{name: name, slot: slot}
	var err error
	switch e.Kind() {
	case "json":
		ce.kind = extractJSON
		ce.path, err = scenarios.ParseJSONPath(e.JSON)
	case "header":
		ce.kind, ce.key = extractHeader, http.CanonicalHeaderKey(e.Header)
	case "regex":
		ce.kind = extractRegex
		ce.re, err = regexp.Compile(e.Regex)
	case "cookie":
		ce.kind, ce.key = extractCookie, e.Cookie
	default:
		err = fmt.Errorf("no kind") // validated by scenarios
	}
	if err != nil {
		return ce, fmt.Errorf("extract %s: %w", name, err)
	}
	return ce, nil
}

// extract sets the variable from r into dst (reused); false when the
// response holds nothing to extract.
func (e *compiledExtract) extract(dst []byte, r *response) ([]byte, bool) {
	switch e.kind {
	case extractJSON:
		v, ok := jsonLookup(r.body, e.path)
		if !ok {
			return dst, false
		}
		return appendJSONText(dst[:0], v), true
	case extractHeader:
		vals := r.header[e.key]
		if len(vals) == 0 {
			return dst, false
		}
		return append(dst[:0], vals[0]...), true
	case extractRegex:
		// FindSubmatchIndex allocates its small result; regexp has no
		// variant that fills a slice of the caller's.
		m := e.re.FindSubmatchIndex(r.body)
		if m == nil {
			return dst, false
		}
		lo, hi := m[0], m[1]
		if len(m) >= 4 {
			if m[2] < 0 {
				return dst, false
			}
			lo, hi = m[2], m[3]
		}
		return append(dst[:0], r.body[lo:hi]...), true
	case extractCookie:
		for _, line := range r.header["Set-Cookie"] {
			if v, ok := cookieValue(line, e.key); ok {
				return append(dst[:0], v...), true
			}
		}
	}
	return dst, false
}

// cookieValue reads the value of cookie name from one Set-Cookie line.
func cookieValue(line, name string) (string, bool) {
	pair, _, _ := strings.Cut(line, ";")
	k, v, ok := strings.Cut(pair, "=")
	if !ok || strings.TrimSpace(k) != name {
		return "", false
	}
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return v, true
}
