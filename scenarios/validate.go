package scenarios

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
)

// Limits on what a scenario may ask for.
const (
	// MaxRate is the highest rate one generator paces (requests per second).
	MaxRate = 1_000_000
	// MaxUsers is the most concurrent users of a closed-model scenario.
	MaxUsers = 100_000
	// MaxPlanDuration and MaxPlanRequests bound a plan unless it is said to
	// be meant (Overrides.AllowLong, the --allow-long flag): a typo such as
	// "30h" for "30m" or "50000/s" for "50/s" should not start a load that
	// runs all weekend.
	MaxPlanDuration = 24 * time.Hour
	MaxPlanRequests = 1_000_000_000
)

// Validate reports every problem of the scenario at once, as an *Error,
// including a plan over MaxPlanDuration or MaxPlanRequests unless
// Apply allowed it. It parses each gate not parsed yet (Gate.Parsed) and
// refuses a gate that could only be unknown in a run of this scenario
// (gate.Gate.Check).
func (s *Scenario) Validate() error { return s.check(true).err(s.sourceName()) }

// check validates the scenario; sized adds the plan's size limits, which
// Parse leaves to Apply because overrides (--duration, --rate) change it.
func (s *Scenario) check(sized bool) *problems {
	v := &validation{s: s, probs: &problems{}, tables: map[string]*Table{}, unreadable: map[string]bool{}}
	v.scenario()
	v.target()
	v.load()
	if sized && !s.allowLong {
		v.size()
	}
	v.data()
	for i, r := range s.Setup {
		field := fmt.Sprintf("setup[%d]", i)
		v.request(field, r, false)
		if r.Stream != "" {
			v.add(field+".stream", "a setup request is sent once and not measured: it cannot stream")
		}
	}
	if len(s.Requests) == 0 && len(s.Flows) == 0 {
		v.add("requests", "at least one request (or flow) is needed")
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
	v.flows(names)
	v.slo()
	v.faults()
	v.metrics()
	v.gates()
	if s.Metrics.URL != "" {
		v.url("metrics.url", s.Metrics.URL)
	}
	if s.Metrics.Interval.D() <= 0 {
		v.add("metrics.interval", "must be positive (leave it out for %s)", DefaultScrapeInterval)
	}
	return v.probs
}

// gates parses each gate (kept on it: Gate.Parsed) and refuses those whose
// value could only be unknown in a run of this scenario: the whole load
// would be sent for a verdict that cannot be a pass or a fail.
func (v *validation) gates() {
	var parsed []gate.Gate
	ok := make([]bool, len(v.s.Gates))
	declared := v.s.seriesDefs()
	for i := range v.s.Gates {
		g, err := v.s.Gates[i].parse(declared)
		if err != nil {
			if !v.namesRefusedSeries(v.s.Gates[i].Expr) {
				v.gate(i, "", "%v", err)
			}
			continue
		}
		parsed, ok[i] = append(parsed, g), true
	}
	scope := v.s.gateScope(parsed)
	for i, g := range v.s.Gates {
		if ok[i] {
			if err := g.parsed.Check(scope); err != nil {
				v.gate(i, "", "%v", err)
			}
		}
		if a := g.Abort; a != nil {
			switch {
			case ok[i] && g.parsed.IsStream():
				v.gate(i, ".abort", "an abort gate reads the last seconds' requests, and the stream metrics are measured over the whole run only: judge %q at the end (no abort)", g.Expr)
			case a.Window.D() <= 0:
				v.gate(i, ".abort.window", "must be positive")
			case a.Window.D() > MaxAbortWindow:
				v.gate(i, ".abort.window", "%s is longer than %s (the runner keeps a histogram per second of the window)", a.Window, MaxAbortWindow)
			case a.Window.D()%time.Second != 0:
				v.gate(i, ".abort.window", "%s: want whole seconds (the gate is evaluated every second)", a.Window)
			}
		}
	}
}

// gate adds a problem of gate i (its field sub: "" or ".abort.window"):
// gates[i] where the scenario wrote it, --gate when Overrides.Gates put it
// in place.
func (v *validation) gate(i int, sub, format string, args ...any) {
	if v.s.gatesOverridden {
		v.probs.add(Pos{}, "--gate"+sub, format, args...)
		return
	}
	v.add(fmt.Sprintf("gates[%d]%s", i, sub), format, args...)
}

// gateScope is what a run of the scenario will measure, which its gates
// are checked against (gate.Gate.Check); gates are the parsed ones.
func (s *Scenario) gateScope(gates []gate.Gate) gate.Scope {
	sc := gate.Scope{
		Endpoints: s.endpointNames(),
		WarmupS:   s.Load.Warmup.D().Seconds(),
		Scraped:   s.Metrics.URL != "",
		// target/writes counts a run with faults and no warm-up only.
		WritesChecked: s.writesChecked && len(s.Faults) > 0 && s.Load.Warmup.D() == 0,
		Gates:         gates,
		Streams:       s.StreamEndpoints(),
		SLO:           !s.SLO.IsZero(),
	}
	for _, f := range s.Faults {
		sc.Faults = append(sc.Faults, f.Label())
	}
	start := 0.0
	for _, st := range s.Load.Stages {
		level, d := s.Load.Level(st), st.Duration.D().Seconds()
		sc.Stages = append(sc.Stages, record.Stage{StartS: start, DurationS: d, From: level.From, To: level.To})
		start += d
	}
	for _, f := range s.Flows {
		for _, st := range f.Steps {
			if len(st.Check) == 0 {
				continue
			}
			if len(sc.Checked) == 0 {
				sc.Checked = append(sc.Checked, "")
			}
			sc.Checked = append(sc.Checked, EndpointName(f.Name, st.Name))
			if it := EndpointName(f.Name, IterationName); !slices.Contains(sc.Checked, it) {
				sc.Checked = append(sc.Checked, it)
			}
		}
	}
	return sc
}

// endpointNames are the names results will hold per endpoint: the
// requests, and each flow's steps and iterations ("<flow>.<step>").
func (s *Scenario) endpointNames() []string {
	var names []string
	for _, r := range s.Requests {
		names = append(names, r.Name)
	}
	for _, f := range s.Flows {
		for _, st := range f.Steps {
			names = append(names, EndpointName(f.Name, st.Name))
		}
		names = append(names, EndpointName(f.Name, IterationName))
	}
	return names
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
	// tables holds the whole-row data sources that could be read, by name;
	// unreadable the sources whose files could not be.
	tables     map[string]*Table
	unreadable map[string]bool
	// refusedSeries are the metrics.series refused where they were
	// declared (metrics).
	refusedSeries map[string]bool
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
		v.add("target.timeout", "must be positive (leave it out for %s)", DefaultTimeout)
	}
	if t.Health != "" && t.Health != HealthNone && !strings.HasPrefix(t.Health, "/") {
		v.add("target.health", "%q: a path starting with / (or none)", t.Health)
	}
	for k, val := range t.Headers {
		v.header("target.headers."+k, k, val, nil)
	}
	if _, field, err := v.s.tlsConfig(); err != nil {
		v.add(field, "%v", err)
	}
	if t.Redirects != nil && (*t.Redirects < 0 || *t.Redirects > maxRedirects) {
		v.add("target.redirects", "%d: want 0 (do not follow) to %d", *t.Redirects, maxRedirects)
	}
	if t.MaxBody <= 0 {
		v.add("target.max_body", "must be positive")
	}
	for i, name := range t.SecretHeaders {
		if !validHeaderName(name) {
			v.add(fmt.Sprintf("target.secret_headers[%d]", i), "bad header name %q", name)
		}
	}
}

// maxRedirects bounds target.redirects and a step's redirects.
const maxRedirects = 100

func (v *validation) url(field, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add(field, "%q is not an http(s) URL", redact.URL(raw))
	}
}

// header checks one header; sc is the template scope of a request's or
// step's header, nil for the target's (which take no templates).
func (v *validation) header(field, key, val string, sc *scope) {
	if !validHeaderName(key) {
		v.add(field, "bad header name %q", key)
	}
	if sc == nil && strings.Contains(val, "{{") {
		v.add(field, "templates are not supported in the target's headers (they go with the health check too): put them in a request's headers")
	} else if sc != nil {
		v.template(field, val, sc)
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
		v.add("load.max_workers", "must be at least 1 (leave it out for %d)", DefaultMaxWorkers)
	}
	if l.MaxConnections < 1 {
		v.add("load.max_connections", "must be at least 1 (leave it out for %d)", DefaultMaxConnections)
	}
	if l.GracefulStop != 0 && len(v.s.Flows) == 0 {
		v.add("load.graceful_stop", "graceful_stop applies to flows (a request of the mix in flight at the end is always awaited)")
	}
	if !l.ThinkTime.IsZero() && l.Model != ModelClosed {
		v.add("load.think_time", "think time applies to the closed model only")
	} else if _, constant := l.ThinkTime.Constant(); !constant && len(v.s.Flows) == 0 {
		v.add("load.think_time", "%s: a distribution applies to flows; between requests the think time is a constant", l.ThinkTime)
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
			} else if !st.Rate.PerUnit {
				// 20 per second, minute or hour? JMeter's throughput is
				// per minute: a 60× misreading is a load nobody planned.
				v.add(field+".rate", "%s: write the unit, e.g. %s/s (or /m, /h)", st.Rate, st.Rate)
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

// size refuses a plan over MaxPlanDuration or MaxPlanRequests. It sums in
// floating point, so that no plan is big enough to wrap around.
func (v *validation) size() {
	seconds, requests := 0.0, 0.0
	for _, st := range v.s.Load.Stages {
		d := st.Duration.D().Seconds()
		seconds += d
		if v.s.Load.Model == ModelOpen {
			requests += d * (st.Rate.From + st.Rate.To) / 2
		}
	}
	const meant = "if that is meant, say so with --allow-long"
	if seconds > MaxPlanDuration.Seconds() {
		v.add("load.stages", "the plan runs %s, over %s; %s", fmtDuration(seconds), fmtDuration(MaxPlanDuration.Seconds()), meant)
	}
	if requests > MaxPlanRequests {
		v.add("load.stages", "the plan sends %.0f requests, over %d; %s", math.Ceil(requests-1e-9), int64(MaxPlanRequests), meant)
	}
}

// fmtDuration formats seconds as a time.Duration does, without overflowing.
func fmtDuration(s float64) string {
	if s < float64(math.MaxInt64)/1e9 {
		return time.Duration(s * 1e9).String()
	}
	return fmt.Sprintf("%.0fh", s/3600)
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
		switch d.Per {
		case "", PerIteration, PerUser:
			if d.Per != "" && len(v.s.Flows) == 0 {
				v.add(field+".per", "per applies to flows: the request mix draws every request anew")
			}
		default:
			v.add(field+".per", "%q: want iteration or user", d.Per)
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
		case "file", "csv", "json":
			t, err := v.s.Table(name)
			if err == nil && t == nil {
				_, err = v.s.Values(name)
			}
			if err != nil {
				v.add(field+"."+kind, "%v", err)
				v.unreadable[name] = true
			} else if t != nil {
				v.tables[name] = t
			}
		case "":
			v.add(field, "want one of range, values, file, csv or json")
		default:
			v.add(field, "%s: want only one of range, values, file, csv or json", kind)
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
	v.method(field, r.Method)
	if !strings.HasPrefix(r.Path, "/") {
		v.add(field+".path", "%q: a path starting with /", r.Path)
	}
	sc := &scope{}
	v.template(field+".path", r.Path, sc)
	v.template(field+".body", r.Body, sc)
	for k, val := range r.Headers {
		v.header(field+".headers."+k, k, val, sc)
	}
	v.expect(field, r.Expect)
	v.stream(field, r.Stream, r.StreamContent, nil)
}

func (v *validation) method(field, m string) {
	if m == "" {
		v.add(field+".method", "empty (leave it out for %s)", DefaultMethod)
	} else if !validMethod(m) {
		v.add(field+".method", "%q is not an HTTP method", m)
	}
}

func (v *validation) expect(field string, codes []int) {
	if codes != nil && len(codes) == 0 {
		v.add(field+".expect", "an empty list: no response would count as a success (leave it out for 200-399)")
	}
	for i, code := range codes {
		if code < 100 || code > 599 {
			v.add(fmt.Sprintf("%s.expect[%d]", field, i), "%d is not an HTTP status code", code)
		}
	}
}

// scope is what a template may name: data sources always, and in a flow
// step the variables extracted by earlier steps.
type scope struct {
	// flow is set inside a flow; vars are the variables available, later
	// the ones only later steps extract (by the step that does).
	flow  bool
	vars  map[string]bool
	later map[string]string
}

func (v *validation) template(field, s string, sc *scope) {
	parts, err := ParseTemplate(s)
	if err != nil {
		v.add(field, "%v", err)
		return
	}
	for _, p := range parts {
		if p.Var != "" {
			v.ref(field, p.Var, sc)
		}
		for _, a := range p.Args {
			if a.Var != "" {
				v.ref(field, a.Var, sc)
			}
		}
	}
}

// ref checks one name a template uses.
func (v *validation) ref(field, name string, sc *scope) {
	if _, ok := v.s.Data[name]; ok {
		if t := v.tables[name]; t != nil {
			v.add(field, "{{%s}} holds whole rows: name one of its fields, e.g. {{%s.%s}} (fields: %s)", name, name, t.Fields[0], strings.Join(t.Fields, ", "))
		}
		return
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		src, col := name[:i], name[i+1:]
		if _, ok := v.s.Data[src]; ok {
			t := v.tables[src]
			switch {
			case v.unreadable[src]:
				// reported under data
			case t == nil:
				v.add(field, "{{%s}}: data %q holds single values, not rows with fields", name, src)
			case t.Field(col) < 0:
				v.add(field, "{{%s}}: data %q has no field %q (fields: %s)", name, src, col, strings.Join(t.Fields, ", "))
			}
			return
		}
	}
	if sc != nil && sc.flow {
		if sc.vars[name] {
			return
		}
		if step, ok := sc.later[name]; ok {
			v.add(field, "{{%s}} is used before any step extracts it (first extracted by step %q)", name, step)
			return
		}
		v.add(field, "{{%s}} names no data source (known: %s) and no variable an earlier step extracts", name, v.dataNames())
		return
	}
	v.add(field, "{{%s}} names no data source (known: %s)", name, v.dataNames())
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
