package scenarios

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// flows validates the flows; requests holds the request names, which no
// step's endpoint name may take.
func (v *validation) flows(requests map[string]bool) {
	flowNames := map[string]bool{}
	for i, f := range v.s.Flows {
		field := fmt.Sprintf("flows[%d]", i)
		switch {
		case f.Name == "":
			v.add(field+".name", "each flow needs a name")
		case !validPlainName(f.Name):
			v.add(field+".name", "%q: use letters, digits, '_' and '-' (a flow's steps are named <flow>.<step>)", f.Name)
		case flowNames[f.Name]:
			v.add(field+".name", "flow name %q is used twice", f.Name)
		}
		flowNames[f.Name] = true
		if !(f.Weight > 0) {
			v.add(field+".weight", "weight %s must be above 0", formatNumber(f.Weight))
		}
		if len(f.Steps) == 0 {
			v.add(field+".steps", "a flow needs at least one step")
		}
		// Every variable and the step that extracts it first.
		extractedBy := map[string]string{}
		for _, st := range f.Steps {
			for name := range st.Extract {
				if _, ok := extractedBy[name]; !ok {
					extractedBy[name] = st.Name
				}
			}
		}
		sc := &scope{flow: true, vars: map[string]bool{}, later: extractedBy}
		stepNames := map[string]bool{}
		for j, st := range f.Steps {
			sfield := fmt.Sprintf("%s.steps[%d]", field, j)
			v.step(sfield, st, sc, j == len(f.Steps)-1)
			if st.Name != "" && stepNames[st.Name] {
				v.add(sfield+".name", "step name %q is used twice in flow %q", st.Name, f.Name)
			}
			stepNames[st.Name] = true
			if ep := EndpointName(f.Name, st.Name); requests[ep] {
				v.add(sfield+".name", "endpoint %q is also a request's name", ep)
			}
			// What this step extracts is available from the next step on.
			for name := range st.Extract {
				sc.vars[name] = true
			}
			sc.later = map[string]string{}
			for _, later := range f.Steps[j+1:] {
				for name := range later.Extract {
					if _, ok := sc.later[name]; !ok && !sc.vars[name] {
						sc.later[name] = later.Name
					}
				}
			}
		}
	}
}

// validPlainName is validName without dots: flow and step names.
func validPlainName(s string) bool { return validName(s) && !strings.Contains(s, ".") }

func (v *validation) step(field string, st FlowStep, sc *scope, last bool) {
	switch {
	case st.Name == "":
		v.add(field+".name", "each step needs a name")
	case !validPlainName(st.Name):
		v.add(field+".name", "%q: use letters, digits, '_' and '-'", st.Name)
	case st.Name == IterationName:
		v.add(field+".name", "%q is the name of a flow's iterations in results: choose another", st.Name)
	}
	v.method(field, st.Method)
	if !strings.HasPrefix(st.Path, "/") {
		v.add(field+".path", "%q: a path starting with /", st.Path)
	}
	v.template(field+".path", st.Path, sc)
	v.template(field+".body", st.Body, sc)
	for k, val := range st.Headers {
		v.header(field+".headers."+k, k, val, sc)
	}
	v.expect(field, st.Expect)
	v.stream(field, st.Stream, st.StreamContent, bodyReaders(st))
	if len(st.Check) > MaxChecks {
		v.add(field+".check", "%d checks: at most %d a step", len(st.Check), MaxChecks)
	}
	labels := map[string]bool{}
	for i, c := range st.Check {
		cfield := fmt.Sprintf("%s.check[%d]", field, i)
		if !v.check(cfield, c, sc) {
			continue
		}
		if l := c.Label(); labels[l] {
			v.add(cfield, "two checks of this step are named %q: give one a name", l)
		} else {
			labels[l] = true
		}
	}
	if len(st.Extract) > MaxExtracts {
		v.add(field+".extract", "%d extracts: at most %d a step", len(st.Extract), MaxExtracts)
	}
	names := make([]string, 0, len(st.Extract))
	for name := range st.Extract {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v.extract(field+".extract."+name, name, st.Extract[name])
	}
	if !st.Think.IsZero() && last {
		v.add(field+".think", "the last step has no next step to pause before: the pause between iterations is load.think_time")
	}
	if st.Redirects != nil && (*st.Redirects < 0 || *st.Redirects > maxRedirects) {
		v.add(field+".redirects", "%d: want 0 (do not follow) to %d", *st.Redirects, maxRedirects)
	}
}

// check validates one check; false when it is not even one kind of check.
func (v *validation) check(field string, c Check, sc *scope) bool {
	kind := c.Kind()
	switch kind {
	case "":
		v.add(field, "a check needs one of status, body_contains, body_matches, json, header or max_duration")
		return false
	case "status", "body_contains", "body_matches", "json", "header", "max_duration":
	default:
		v.add(field, "%s: a check tests one thing; write one check each", kind)
		return false
	}
	if kind != "json" && kind != "header" {
		for name, set := range map[string]bool{"exists": c.Exists != nil, "equals": c.Equals != nil, "matches": c.Matches != "", "compare": c.Compare != ""} {
			if set {
				v.add(field+"."+name, "%s goes with json or header, not %s", name, kind)
			}
		}
	}
	switch kind {
	case "body_contains":
		v.template(field+".body_contains", c.BodyContains, sc)
	case "body_matches":
		v.regex(field+".body_matches", c.BodyMatches)
	case "json":
		if _, err := ParseJSONPath(c.JSON); err != nil {
			v.add(field+".json", "%v", err)
		}
	case "header":
		if !validHeaderName(c.Header) {
			v.add(field+".header", "bad header name %q", c.Header)
		}
		if c.Compare != "" {
			v.add(field+".compare", "compare goes with json (numbers); for a header use equals or matches")
		}
	}
	if kind == "json" || kind == "header" {
		if c.Condition() == "" {
			v.add(field, "a %s check takes one of exists, equals, matches or compare", kind)
		}
		if c.Equals != nil {
			v.template(field+".equals", *c.Equals, sc)
		}
		if c.Matches != "" {
			v.regex(field+".matches", c.Matches)
		}
		if c.Compare != "" && kind == "json" {
			_, operand, err := ParseCompare(c.Compare)
			if err != nil {
				v.add(field+".compare", "%v", err)
			} else {
				v.template(field+".compare", operand, sc)
			}
		}
	}
	return true
}

func (v *validation) regex(field, expr string) {
	if _, err := regexp.Compile(expr); err != nil {
		v.add(field, "%v", err)
	}
}

func (v *validation) extract(field, name string, e Extract) {
	switch {
	case !validPlainName(name):
		v.add(field, "variable %q: use letters, digits, '_' and '-'", name)
	default:
		if _, ok := v.s.Data[name]; ok {
			v.add(field, "variable %q is also a data source's name", name)
		}
	}
	switch kind := e.Kind(); kind {
	case "":
		v.add(field, "an extract needs one of json, header, regex or cookie")
	case "json":
		if _, err := ParseJSONPath(e.JSON); err != nil {
			v.add(field+".json", "%v", err)
		}
	case "header":
		if !validHeaderName(e.Header) {
			v.add(field+".header", "bad header name %q", e.Header)
		}
	case "regex":
		re, err := regexp.Compile(e.Regex)
		if err != nil {
			v.add(field+".regex", "%v", err)
		} else if re.NumSubexp() > 1 {
			v.add(field+".regex", "%d groups: an extract takes the first group, so use at most one (make others (?:non-capturing))", re.NumSubexp())
		}
	case "cookie":
		if !validHeaderName(e.Cookie) {
			v.add(field+".cookie", "bad cookie name %q", e.Cookie)
		}
	default:
		v.add(field, "%s: an extract reads one thing; use one of json, header, regex or cookie", kind)
	}
}

// Comparison operators of a check's compare.
var compareOps = []string{"<=", ">=", "==", "!=", "<", ">"}

// ParseCompare splits a check's compare, "> 0" or "<= {{limit}}", into its
// operator and operand (a number, or a template that renders one).
func ParseCompare(s string) (op, operand string, err error) {
	t := strings.TrimSpace(s)
	for _, o := range compareOps {
		if rest, ok := strings.CutPrefix(t, o); ok {
			operand = strings.TrimSpace(rest)
			if operand == "" {
				return "", "", fmt.Errorf("compare %q: no operand after %s", s, o)
			}
			if !strings.Contains(operand, "{{") {
				if _, err := strconv.ParseFloat(operand, 64); err != nil {
					return "", "", fmt.Errorf("compare %q: %q is not a number (or a template)", s, operand)
				}
			}
			return o, operand, nil
		}
	}
	return "", "", fmt.Errorf("compare %q: want an operator (<, <=, >, >=, ==, !=) and a number, e.g. \"> 0\"", s)
}
