package scenarios

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Limits on what a scenario may ask for.
const (
	// MaxRate is the highest rate one generator paces (requests per second).
	MaxRate = 1_000_000
	// MaxUsers is the most concurrent users of a closed-model scenario.
	MaxUsers = 100_000
)

// Validate reports every problem of the scenario at once, as an *Error.
func (s *Scenario) Validate() error { return s.ValidateWith(nil) }

// ValidateWith is Validate with a check of each gate expression (the report
// package's parser); checkGate may be nil.
func (s *Scenario) ValidateWith(checkGate func(string) error) error {
	v := &validation{s: s, probs: &problems{}}
	v.scenario()
	v.target()
	v.load()
	v.data()
	for i, r := range s.Setup {
		v.request(fmt.Sprintf("setup[%d]", i), r, false)
	}
	if len(s.Requests) == 0 {
		v.add("requests", "at least one request is needed")
	}
	names := map[string]bool{}
	for i, r := range s.Requests {
		field := fmt.Sprintf("requests[%d]", i)
		v.request(field, r, true)
		if names[r.Name] {
			v.add(field+".name", "request name %q is used twice", r.Name)
		}
		names[r.Name] = true
	}
	for i, g := range s.Gates {
		field := fmt.Sprintf("gates[%d]", i)
		if strings.TrimSpace(g) == "" {
			v.add(field, "empty gate")
		} else if checkGate != nil {
			if err := checkGate(g); err != nil {
				v.add(field, "%v", err)
			}
		}
	}
	if s.Metrics.URL != "" {
		v.url("metrics.url", s.Metrics.URL)
	}
	if s.Metrics.Interval.D() <= 0 {
		v.add("metrics.interval", "must be positive")
	}
	return v.probs.err(s.sourceName())
}

func (s *Scenario) sourceName() string {
	if s.Source == "" {
		return "scenario"
	}
	return s.Source
}

type validation struct {
	s     *Scenario
	probs *problems
}

func (v *validation) add(field, format string, args ...any) {
	v.probs.add(v.s.Position(field), field, format, args...)
}

func (v *validation) scenario() {
	if v.s.Name == "" {
		v.add("name", "a scenario needs a name")
	} else if !validName(v.s.Name) {
		v.add("name", "%q: use letters, digits, '_', '-' and '.'", v.s.Name)
	}
}

func (v *validation) target() {
	t := v.s.Target
	if t.BaseURL == "" {
		v.add("target.base_url", "the target's base URL is needed, e.g. http://127.0.0.1:8080")
	} else {
		v.url("target.base_url", t.BaseURL)
	}
	if t.Timeout.D() <= 0 {
		v.add("target.timeout", "must be positive")
	}
	if t.Health != "" && t.Health != HealthNone && !strings.HasPrefix(t.Health, "/") {
		v.add("target.health", "%q: a path starting with / (or none)", t.Health)
	}
	for k, val := range t.Headers {
		v.header("target.headers."+k, k, val)
	}
}

func (v *validation) url(field, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add(field, "%q is not an http(s) URL", raw)
	}
}

func (v *validation) header(field, key, val string) {
	if !validHeaderName(key) {
		v.add(field, "bad header name %q", key)
	}
	if strings.Contains(val, "{{") {
		v.add(field, "templates are not supported in headers")
	}
	if strings.ContainsAny(val, "\r\n") {
		v.add(field, "header value holds a line break")
	}
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return false
		}
	}
	return true
}

func (v *validation) load() {
	l := v.s.Load
	switch l.Model {
	case ModelOpen, ModelClosed:
	default:
		v.add("load.model", "%q: want open or closed", l.Model)
		return
	}
	if len(l.Stages) == 0 {
		v.add("load.stages", "at least one stage is needed")
	}
	if l.MaxWorkers < 1 {
		v.add("load.max_workers", "must be at least 1")
	}
	if l.MaxConnections < 1 {
		v.add("load.max_connections", "must be at least 1")
	}
	if l.ThinkTime != 0 && l.Model != ModelClosed {
		v.add("load.think_time", "think time applies to the closed model only")
	}
	var total time.Duration
	peak := 0.0
	for i, st := range l.Stages {
		field := fmt.Sprintf("load.stages[%d]", i)
		if st.Duration.D() <= 0 {
			v.add(field+".duration", "each stage needs a positive duration")
		}
		total += st.Duration.D()
		switch l.Model {
		case ModelOpen:
			if !st.Rate.Set {
				v.add(field+".rate", "an open-model stage needs a rate, e.g. 50/s or \"0 -> 50/s\"")
			}
			if st.Users.Set {
				v.add(field+".users", "users belong to the closed model (load.model: closed)")
			}
			if math.Max(st.Rate.From, st.Rate.To) > MaxRate {
				v.add(field+".rate", "%s cannot be paced by one generator (at most %d/s; use shards)", st.Rate, MaxRate)
			}
			peak = math.Max(peak, math.Max(st.Rate.From, st.Rate.To))
		case ModelClosed:
			if !st.Users.Set {
				v.add(field+".users", "a closed-model stage needs users, e.g. 100 or \"0 -> 100\"")
			}
			if st.Rate.Set {
				v.add(field+".rate", "rate belongs to the open model (load.model: open)")
			}
			if st.Users.PerUnit {
				v.add(field+".users", "users are a count, without a /unit")
			}
			if st.Users.From != math.Trunc(st.Users.From) || st.Users.To != math.Trunc(st.Users.To) {
				v.add(field+".users", "users are whole numbers")
			}
			if math.Max(st.Users.From, st.Users.To) > MaxUsers {
				v.add(field+".users", "at most %d users", MaxUsers)
			}
			peak = math.Max(peak, math.Max(st.Users.From, st.Users.To))
		}
	}
	if len(l.Stages) > 0 && total > 0 && peak == 0 {
		v.add("load.stages", "every stage is at zero: nothing would be sent")
	}
	if l.Model == ModelOpen && total > 0 && peak > 0 && v.s.ExpectedRequests() < 1 {
		v.add("load.stages", "the stages add up to less than one request")
	}
	if l.Warmup.D() > 0 && total > 0 && l.Warmup.D() >= total {
		v.add("load.warmup", "warm-up %s leaves nothing of the %s of stages to measure", l.Warmup, total)
	}
}

func (v *validation) data() {
	names := make([]string, 0, len(v.s.Data))
	for name := range v.s.Data {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		d := v.s.Data[name]
		field := "data." + name
		if !validName(name) {
			v.add(field, "bad data name %q: use letters, digits, '_', '-' and '.'", name)
		}
		switch d.Pick {
		case PickRandom, PickSequential, PickUnique, PickZipf:
		default:
			v.add(field+".pick", "%q: want random, sequential, unique or zipf", d.Pick)
		}
		if d.Column != "" && d.CSV == "" {
			v.add(field+".column", "column goes with csv")
		}
		switch kind := d.Kind(); kind {
		case "range":
			if len(d.Range) != 2 {
				v.add(field+".range", "want [lo, hi]")
			} else if d.Range[0] > d.Range[1] {
				v.add(field+".range", "lo %d is above hi %d", d.Range[0], d.Range[1])
			}
		case "values":
			if len(d.Values) == 0 {
				v.add(field+".values", "empty list")
			}
		case "file", "csv":
			if kind == "csv" && d.Column == "" {
				v.add(field+".column", "csv needs the column to take")
				continue
			}
			if _, err := v.s.Values(name); err != nil {
				v.add(field+"."+kind, "%v", err)
			}
		case "":
			v.add(field, "want one of range, values, file or csv")
		default:
			v.add(field, "%s: want only one of range, values, file or csv", kind)
		}
	}
}

func (v *validation) request(field string, r Request, weighted bool) {
	if r.Name == "" {
		v.add(field+".name", "each request needs a name")
	} else if !validName(r.Name) {
		v.add(field+".name", "%q: use letters, digits, '_', '-' and '.'", r.Name)
	}
	if weighted && !(r.Weight > 0) {
		v.add(field+".weight", "weight %s must be above 0", formatNumber(r.Weight))
	}
	if !validMethod(r.Method) {
		v.add(field+".method", "%q is not an HTTP method", r.Method)
	}
	if !strings.HasPrefix(r.Path, "/") {
		v.add(field+".path", "%q: a path starting with /", r.Path)
	}
	v.template(field+".path", r.Path)
	v.template(field+".body", r.Body)
	for k, val := range r.Headers {
		v.header(field+".headers."+k, k, val)
	}
	for i, code := range r.Expect {
		if code < 100 || code > 599 {
			v.add(fmt.Sprintf("%s.expect[%d]", field, i), "%d is not an HTTP status code", code)
		}
	}
}

func (v *validation) template(field, s string) {
	parts, err := ParseTemplate(s)
	if err != nil {
		v.add(field, "%v", err)
		return
	}
	for _, p := range parts {
		if p.Var == "" {
			continue
		}
		if _, ok := v.s.Data[p.Var]; !ok {
			v.add(field, "{{%s}} names no data source (known: %s)", p.Var, v.dataNames())
		}
	}
}

func (v *validation) dataNames() string {
	if len(v.s.Data) == 0 {
		return "none"
	}
	names := make([]string, 0, len(v.s.Data))
	for n := range v.s.Data {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func validMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}
