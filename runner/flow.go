package runner

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/loadgate/loadgate/scenarios"
)

// flowSet is a scenario's mix when it has flows: every flow, and every
// request of the mix as a flow of one step, drawn by weight. The recorder's
// endpoints are the requests and the steps in order, then one iteration
// series per flow.
type flowSet struct {
	flows []*compiledFlow
	cum   []float64 // cumulative weights, normalised to end at 1
	// names and expects describe the recorder's endpoints.
	names   []string
	expects [][]int
	// sources are every data source, each with its id as index.
	sources []*source
	// limits are the redirect limits the steps use; a step's client is
	// its limit's index.
	limits []int
	// maxSlots and maxVars size a worker's buffers.
	maxSlots, maxVars int
	// perDraw is the mean number of requests one draw of the mix sends
	// when every step succeeds.
	perDraw float64
	maxBody int
	cookies bool // some flow keeps cookies
}

// compiledFlow is a flow ready to run.
type compiledFlow struct {
	name string
	// request is set for a request of the mix run as a flow: it has no
	// iteration series and no cookies.
	request bool
	weight  float64
	steps   []compiledStep
	cookies bool
	// sources are the data the flow uses, by slot; perUser says which of
	// them a user keeps for its life.
	sources []*source
	perUser []bool
	nvars   int
	// iteration is the recorder endpoint of the flow's iterations; -1 for a
	// request.
	iteration int
}

// compiledStep is one request of a flow.
type compiledStep struct {
	name     string // the endpoint name, "<flow>.<step>" (a request's own name)
	endpoint int    // the recorder endpoint
	method   string
	url      []part
	body     []part
	static   []byte // the body when it holds no template
	header   http.Header
	// headerTmpls are headers whose values hold templates.
	headerTmpls []headerTmpl
	// gunzip: loadgate asked for gzip (askGzip), so it decodes a gzip body
	// for the checks and extracts.
	gunzip   bool
	expect   *expectation
	checks   []compiledCheck
	extracts []compiledExtract
	needBody bool
	think    scenarios.Think
	timeout  time.Duration // 0: the target's
	client   int           // index of the step's redirect limit
	// sender reads the response: whole, or as a stream.
	sender sender
}

// flowScope resolves a flow's template names: data sources to slots of the
// flow's own, drawn once per iteration (or user); variables to indexes.
type flowScope struct {
	all     map[string]*source
	per     map[string]bool // data sources kept per user
	slots   map[string]int
	sources []*source
	perUser []bool
	vars    map[string]int
}

func (f *flowScope) resolve(name string) (refKind, int, int, error) {
	if v, ok := f.vars[name]; ok {
		return refVar, v, -1, nil
	}
	srcName, src, field, found, err := lookupSource(f.all, name)
	if err != nil {
		return 0, 0, 0, err
	}
	if !found {
		return 0, 0, 0, fmt.Errorf("{{%s}} names no data source or variable", name)
	}
	slot, ok := f.slots[srcName]
	if !ok {
		slot = len(f.sources)
		f.slots[srcName] = slot
		f.sources = append(f.sources, src)
		f.perUser = append(f.perUser, f.per[srcName])
	}
	return refData, slot, field, nil
}

// newFlowSet compiles the scenario's requests and flows.
func newFlowSet(sc *scenarios.Scenario) (*flowSet, error) {
	set := &flowSet{maxBody: int(sc.Target.MaxBody)}
	all := map[string]*source{}
	per := map[string]bool{}
	names := make([]string, 0, len(sc.Data))
	for name := range sc.Data {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		src, err := newSource(sc, name)
		if err != nil {
			return nil, err
		}
		src.id = len(set.sources)
		set.sources = append(set.sources, src)
		all[name] = src
		per[name] = sc.Data[name].Per == scenarios.PerUser
	}
	base := strings.TrimRight(sc.Target.BaseURL, "/")
	limitIndex := func(limit int) int {
		if i := slices.Index(set.limits, limit); i >= 0 {
			return i
		}
		set.limits = append(set.limits, limit)
		return len(set.limits) - 1
	}
	targetLimit := limitIndex(sc.Target.RedirectLimit())
	for _, r := range sc.Requests {
		step := scenarios.FlowStep{Name: r.Name, Method: r.Method, Path: r.Path, Body: r.Body, Headers: r.Headers, Expect: r.Expect,
			Stream: r.Stream, StreamContent: r.StreamContent}
		f := &compiledFlow{name: r.Name, request: true, weight: r.Weight, iteration: -1}
		if err := set.addFlow(f, []scenarios.FlowStep{step}, base, sc, all, per, targetLimit, limitIndex); err != nil {
			return nil, err
		}
	}
	for _, fl := range sc.Flows {
		f := &compiledFlow{name: fl.Name, weight: fl.Weight, cookies: fl.CookiesOn()}
		set.cookies = set.cookies || f.cookies
		if err := set.addFlow(f, fl.Steps, base, sc, all, per, targetLimit, limitIndex); err != nil {
			return nil, err
		}
	}
	for _, f := range set.flows {
		if !f.request {
			f.iteration = len(set.names)
			set.names = append(set.names, scenarios.EndpointName(f.name, scenarios.IterationName))
			set.expects = append(set.expects, nil)
		}
	}
	total := 0.0
	for _, f := range set.flows {
		total += f.weight
		set.cum = append(set.cum, total)
		set.perDraw += f.weight * float64(len(f.steps))
	}
	for i := range set.cum {
		set.cum[i] /= total
	}
	set.perDraw /= total
	return set, nil
}

func (set *flowSet) addFlow(f *compiledFlow, steps []scenarios.FlowStep, base string, sc *scenarios.Scenario,
	all map[string]*source, per map[string]bool, targetLimit int, limitIndex func(int) int) error {
	scope := &flowScope{all: all, per: per, slots: map[string]int{}, vars: map[string]int{}}
	var vars []string
	for _, st := range steps {
		for name := range st.Extract {
			if !slices.Contains(vars, name) {
				vars = append(vars, name)
			}
		}
	}
	sort.Strings(vars)
	for i, v := range vars {
		scope.vars[v] = i
	}
	for _, st := range steps {
		cs, err := compileStep(base, st, sc.Target.Headers, scope)
		if err != nil {
			if f.request {
				return fmt.Errorf("request %s: %w", st.Name, err)
			}
			return fmt.Errorf("flow %s, step %s: %w", f.name, st.Name, err)
		}
		if !f.request {
			cs.name = scenarios.EndpointName(f.name, st.Name)
		}
		cs.client = targetLimit
		if st.Redirects != nil {
			cs.client = limitIndex(*st.Redirects)
		}
		cs.endpoint = len(set.names)
		set.names = append(set.names, cs.name)
		set.expects = append(set.expects, st.Expect)
		f.steps = append(f.steps, cs)
	}
	f.sources, f.perUser, f.nvars = scope.sources, scope.perUser, len(vars)
	set.maxSlots = max(set.maxSlots, len(f.sources))
	set.maxVars = max(set.maxVars, f.nvars)
	set.flows = append(set.flows, f)
	return nil
}

func compileStep(base string, st scenarios.FlowStep, targetHeaders map[string]string, res *flowScope) (compiledStep, error) {
	cs := compiledStep{name: st.Name, method: st.Method, header: http.Header{}, expect: newExpectation(st.Expect),
		think: st.Think, timeout: st.Timeout.D(), sender: bodySender{}}
	if st.Stream != "" {
		ss, err := newStreamSender(st.Stream, st.StreamContent)
		if err != nil {
			return cs, fmt.Errorf("stream_content: %w", err)
		}
		cs.sender = ss
	}
	for k, v := range targetHeaders {
		cs.header.Set(k, v)
	}
	for k, v := range st.Headers {
		parts, err := compileTemplate(v, escRaw, res)
		if err != nil {
			return cs, err
		}
		if text, ok := static(parts); ok {
			cs.header.Set(k, text)
		} else {
			cs.headerTmpls = append(cs.headerTmpls, headerTmpl{key: http.CanonicalHeaderKey(k), parts: parts})
		}
	}
	// A stream is read as it comes, never decoded: it asks for no gzip.
	if cs.gunzip = st.Stream == "" && askGzip(cs.method, cs.header, cs.headerTmpls); cs.gunzip {
		cs.header.Set("Accept-Encoding", "gzip")
	}
	var err error
	if cs.url, err = compileTemplate(base+st.Path, escPath, res); err != nil {
		return cs, err
	}
	bodyEsc := escRaw
	if isJSONBody(st.Body) {
		bodyEsc = escJSON
	}
	if cs.body, err = compileTemplate(st.Body, bodyEsc, res); err != nil {
		return cs, err
	}
	if text, ok := static(cs.body); ok {
		cs.static = []byte(text)
		cs.body = nil
	}
	for _, c := range st.Check {
		cc, err := compileCheck(c, res)
		if err != nil {
			return cs, err
		}
		cs.needBody = cs.needBody || cc.needsBody()
		cs.checks = append(cs.checks, cc)
	}
	names := make([]string, 0, len(st.Extract))
	for name := range st.Extract {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ce, err := compileExtract(name, res.vars[name], st.Extract[name])
		if err != nil {
			return cs, err
		}
		cs.needBody = cs.needBody || ce.needsBody()
		cs.extracts = append(cs.extracts, ce)
	}
	return cs, nil
}

// pick draws a flow by weight.
func (set *flowSet) pick() *compiledFlow {
	if len(set.flows) == 1 {
		return set.flows[0]
	}
	x := rand.Float64()
	for i, c := range set.cum {
		if x < c {
			return set.flows[i]
		}
	}
	return set.flows[len(set.flows)-1]
}

// drawThink draws one pause.
func drawThink(t scenarios.Think) time.Duration {
	switch t.Dist {
	case scenarios.ThinkConstant:
		return t.A
	case scenarios.ThinkUniform:
		return t.A + time.Duration(rand.Int64N(int64(t.B-t.A)+1))
	case scenarios.ThinkNormal:
		return max(0, t.A+time.Duration(float64(t.B)*rand.NormFloat64()))
	case scenarios.ThinkExponential:
		return time.Duration(float64(t.A) * rand.ExpFloat64())
	}
	return 0
}
