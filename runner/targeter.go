package runner

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadgate/loadgate/scenarios"
)

// ErrDataExhausted is returned by the targeter when a data source with
// pick: unique has handed out every value; vegeta then stops the attack.
var ErrDataExhausted = errors.New("unique data exhausted")

// source hands out values of one data source. It is safe for concurrent use
// and allocates nothing: the values are escaped ahead of time.
type source struct {
	name string
	id   int // index in the flow set's list of sources
	// For a range: lo and size; values is nil.
	lo, size int64
	// For a list: values in each escaping.
	values [numEsc][]string
	// For a table (whole rows): its fields and rows, escaped when rendered.
	fields []string
	rows   [][]string
	pick   string
	next   atomic.Int64
	// Unique picks of shard i of n take indexes i-1, i-1+n, i-1+2n, …
	shardIndex, shardCount int64
}

// index draws the next index in [0, size).
func (s *source) index() (int64, error) {
	switch s.pick {
	case scenarios.PickSequential:
		return (s.next.Add(1) - 1) % s.size, nil
	case scenarios.PickUnique:
		i := (s.next.Add(1)-1)*s.shardCount + s.shardIndex
		if i >= s.size {
			return 0, fmt.Errorf("data %q: %w after %d values", s.name, ErrDataExhausted, (s.size-s.shardIndex+s.shardCount-1)/s.shardCount)
		}
		return i, nil
	case scenarios.PickZipf:
		// Log-uniform rank: P(rank < k) = ln(k+1)/ln(size+1).
		i := int64(math.Exp(rand.Float64()*math.Log1p(float64(s.size)))) - 1
		return min(max(i, 0), s.size-1), nil
	default:
		return rand.Int64N(s.size), nil
	}
}

// appendValue appends value i (of a table: field of row i) escaped.
func (s *source) appendValue(dst []byte, i int64, field int, esc escaping) []byte {
	switch {
	case s.rows != nil:
		return appendEscaped(dst, s.rows[i][field], esc)
	case s.values[0] == nil:
		return strconv.AppendInt(dst, s.lo+i, 10)
	}
	return append(dst, s.values[esc][i]...)
}

type compiledRequest struct {
	name   string
	method string
	url    []part // base URL, path and query
	body   []part
	static []byte // the body when it holds no template
	header http.Header
	// headerTmpls are the headers whose values hold templates; with any,
	// each request gets a copy of header with them set.
	headerTmpls []headerTmpl
	sources     []*source // the data this request uses, one draw each per request
	urlLen      int       // a capacity guess for the URL
	bodyLen     int
	// fragment tags the URL with the request's index ("#3"); the fragment is
	// never sent, but it comes back in vegeta's Result.URL, which is how the
	// recorder knows the endpoint without a lookup table.
	fragment string
}

// headerTmpl is a header whose value is a template.
type headerTmpl struct {
	key   string
	parts []part
}

// targeter builds vegeta targets from the scenario's weighted request mix.
type targeter struct {
	reqs []compiledRequest
	cum  []float64 // cumulative weights, normalised to end at 1
}

// maxSlots is the most data sources one request may use.
const maxSlots = 16

func newTargeter(sc *scenarios.Scenario, reqs []scenarios.Request) (*targeter, error) {
	sources := map[string]*source{}
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
		sources[name] = src
	}
	base := strings.TrimRight(sc.Target.BaseURL, "/")
	t := &targeter{}
	total := 0.0
	for i, r := range reqs {
		cr, err := compileRequest(base, r, sc.Target.Headers, sources)
		if err != nil {
			return nil, err
		}
		cr.fragment = "#" + strconv.Itoa(i)
		t.reqs = append(t.reqs, cr)
		w := r.Weight
		if w <= 0 {
			w = 1
		}
		total += w
		t.cum = append(t.cum, total)
	}
	for i := range t.cum {
		t.cum[i] /= total
	}
	return t, nil
}

func newSource(sc *scenarios.Scenario, name string) (*source, error) {
	d := sc.Data[name]
	src := &source{name: name, pick: d.Pick, shardIndex: 0, shardCount: 1}
	if sc.Shard.Count > 1 {
		src.shardIndex, src.shardCount = int64(sc.Shard.Index-1), int64(sc.Shard.Count)
	}
	if d.Kind() == "range" {
		src.lo, src.size = d.Range[0], d.Range[1]-d.Range[0]+1
		return src, nil
	}
	table, err := sc.Table(name)
	if err != nil {
		return nil, fmt.Errorf("data %q: %w", name, err)
	}
	if table != nil {
		src.fields, src.rows, src.size = table.Fields, table.Rows, int64(len(table.Rows))
		return src, nil
	}
	values, err := sc.Values(name)
	if err != nil {
		return nil, fmt.Errorf("data %q: %w", name, err)
	}
	src.size = int64(len(values))
	src.values[escRaw] = values
	for _, v := range values {
		src.values[escPath] = append(src.values[escPath], string(appendEscaped(nil, v, escPath)))
		src.values[escQuery] = append(src.values[escQuery], url.QueryEscape(v))
		src.values[escJSON] = append(src.values[escJSON], string(appendEscaped(nil, v, escJSON)))
	}
	return src, nil
}

// requestSlots resolves a request's template names to data slots of its
// own: each source it uses is drawn once per request, so that two fields
// of a row come from the same row.
type requestSlots struct {
	sc      *scenarios.Scenario
	all     map[string]*source
	slots   map[string]int
	sources []*source
}

// lookupSource finds the data source a template name reads: `name` itself
// (a column source) or, for `name.field`, a whole-row source and the field's
// index (-1 for a column source). found is false when neither exists.
func lookupSource(all map[string]*source, name string) (srcName string, src *source, field int, found bool, err error) {
	srcName, field = name, -1
	src, ok := all[name]
	if ok && src.rows != nil {
		return "", nil, 0, false, fmt.Errorf("{{%s}} holds whole rows: name a field", name)
	}
	if ok {
		return srcName, src, field, true, nil
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		srcName = name[:i]
		if src, ok = all[srcName]; ok && src.rows != nil {
			field = slices.Index(src.fields, name[i+1:])
		}
	}
	if !ok || field < 0 {
		return "", nil, 0, false, nil
	}
	return srcName, src, field, true, nil
}

func (r *requestSlots) resolve(name string) (refKind, int, int, error) {
	srcName, src, field, found, err := lookupSource(r.all, name)
	if err != nil {
		return 0, 0, 0, err
	}
	if !found {
		return 0, 0, 0, fmt.Errorf("{{%s}} names no data source", name)
	}
	slot, ok := r.slots[srcName]
	if !ok {
		slot = len(r.sources)
		if slot >= maxSlots {
			return 0, 0, 0, fmt.Errorf("more than %d data sources", maxSlots)
		}
		r.slots[srcName] = slot
		r.sources = append(r.sources, src)
	}
	return refData, slot, field, nil
}

func compileRequest(base string, r scenarios.Request, targetHeaders map[string]string, sources map[string]*source) (compiledRequest, error) {
	cr := compiledRequest{name: r.Name, method: r.Method, header: http.Header{}}
	for k, v := range targetHeaders {
		cr.header.Set(k, v)
	}
	res := &requestSlots{all: sources, slots: map[string]int{}}
	var err error
	fail := func(err error) (compiledRequest, error) { return cr, fmt.Errorf("request %s: %w", r.Name, err) }
	for k, v := range r.Headers {
		parts, err := compileTemplate(v, escRaw, res)
		if err != nil {
			return fail(err)
		}
		if text, ok := static(parts); ok {
			cr.header.Set(k, text)
		} else {
			cr.headerTmpls = append(cr.headerTmpls, headerTmpl{key: http.CanonicalHeaderKey(k), parts: parts})
		}
	}
	if askGzip(cr.method, cr.header, cr.headerTmpls) {
		cr.header.Set("Accept-Encoding", "gzip") // as Go's client would: see bytesin.go
	}
	if cr.url, err = compileTemplate(base+r.Path, escPath, res); err != nil {
		return fail(err)
	}
	bodyEsc := escRaw
	if isJSONBody(r.Body) {
		bodyEsc = escJSON
	}
	if cr.body, err = compileTemplate(r.Body, bodyEsc, res); err != nil {
		return fail(err)
	}
	if text, ok := static(cr.body); ok {
		cr.static = []byte(text)
		cr.body = nil
	}
	cr.sources = res.sources
	cr.urlLen, cr.bodyLen = sizeGuess(cr.url), sizeGuess(cr.body)
	return cr, nil
}

// sizeGuess is a capacity guess for a rendered template.
func sizeGuess(parts []part) int {
	n := 0
	for _, p := range parts {
		n += len(p.literal)
		if p.kind != refLiteral {
			n += 16
		}
	}
	return n
}

// pick draws a request by weight.
func (t *targeter) pick() int {
	if len(t.reqs) == 1 {
		return 0
	}
	x := rand.Float64()
	for i, c := range t.cum {
		if x < c {
			return i
		}
	}
	return len(t.cum) - 1
}

// target fills tgt with a request of the mix; it is a vegeta.Targeter.
func (t *targeter) target(tgt *vegeta.Target) error {
	return t.build(t.pick(), tgt)
}

// build fills tgt with request i of the mix, drawing its data.
func (t *targeter) build(i int, tgt *vegeta.Target) error {
	r := &t.reqs[i]
	var drawn [maxSlots]int64
	for s, src := range r.sources {
		v, err := src.index()
		if err != nil {
			return err
		}
		drawn[s] = v
	}
	env := tmplEnv{sources: r.sources}
	d := drawn[:len(r.sources)]
	buf := make([]byte, 0, r.urlLen+len(r.fragment))
	buf = render(buf, r.url, d, &env)
	buf = append(buf, r.fragment...)
	tgt.Method = r.method
	tgt.URL = string(buf)
	tgt.Header = r.header
	if len(r.headerTmpls) > 0 {
		tgt.Header = r.header.Clone()
		for _, h := range r.headerTmpls {
			tgt.Header[h.key] = []string{string(render(nil, h.parts, d, &env))}
		}
	}
	if r.body != nil {
		tgt.Body = render(make([]byte, 0, r.bodyLen), r.body, d, &env)
	} else {
		tgt.Body = r.static
	}
	return nil
}

// endpointOf recovers the request index from a URL built by the targeter;
// -1 when the URL carries no index.
func endpointOf(u string) int {
	i := strings.LastIndexByte(u, '#')
	if i < 0 || i == len(u)-1 {
		return -1
	}
	n := 0
	for _, c := range []byte(u[i+1:]) {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}
