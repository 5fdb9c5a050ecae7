package runner

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
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

// escaping says how a data value is written into a template.
type escaping uint8

const (
	escRaw   escaping = iota // body: as is
	escPath                  // URL path segment
	escQuery                 // URL query value
)

// source hands out values of one data source. It is safe for concurrent use
// and allocates nothing: the values are escaped ahead of time.
type source struct {
	name string
	// For a range: lo and size; values is nil.
	lo, size int64
	// For a list: values in each escaping.
	values [3][]string
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

func (s *source) appendValue(dst []byte, i int64, esc escaping) []byte {
	if s.values[0] == nil {
		return strconv.AppendInt(dst, s.lo+i, 10)
	}
	return append(dst, s.values[esc][i]...)
}

// part is a compiled template piece: literal text or a data reference (slot
// is the index of the source in the request's own list of sources).
type part struct {
	literal string
	slot    int
	esc     escaping
}

type compiledRequest struct {
	name    string
	method  string
	url     []part // base URL, path and query
	body    []part
	static  []byte // the body when it holds no template
	header  http.Header
	sources []*source // the data this request uses, one draw each per request
	urlLen  int       // a capacity guess for the URL
	bodyLen int
	// fragment tags the URL with the request's index ("#3"); the fragment is
	// never sent, but it comes back in vegeta's Result.URL, which is how the
	// recorder knows the endpoint without a lookup table.
	fragment string
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
	values, err := sc.Values(name)
	if err != nil {
		return nil, fmt.Errorf("data %q: %w", name, err)
	}
	src.size = int64(len(values))
	src.values[escRaw] = values
	for _, v := range values {
		src.values[escPath] = append(src.values[escPath], url.PathEscape(v))
		src.values[escQuery] = append(src.values[escQuery], url.QueryEscape(v))
	}
	return src, nil
}

func compileRequest(base string, r scenarios.Request, targetHeaders map[string]string, sources map[string]*source) (compiledRequest, error) {
	cr := compiledRequest{name: r.Name, method: r.Method, header: http.Header{}}
	for k, v := range targetHeaders {
		cr.header.Set(k, v)
	}
	for k, v := range r.Headers {
		cr.header.Set(k, v)
	}
	slots := map[string]int{}
	compile := func(tmpl string, inURL bool) ([]part, int, error) {
		parts, err := scenarios.ParseTemplate(tmpl)
		if err != nil {
			return nil, 0, fmt.Errorf("request %s: %w", r.Name, err)
		}
		var out []part
		size, inQuery := 0, false
		for _, p := range parts {
			if p.Var == "" {
				out = append(out, part{literal: p.Literal, slot: -1})
				size += len(p.Literal)
				if inURL && strings.Contains(p.Literal, "?") {
					inQuery = true
				}
				continue
			}
			src, ok := sources[p.Var]
			if !ok {
				return nil, 0, fmt.Errorf("request %s: {{%s}} names no data source", r.Name, p.Var)
			}
			slot, ok := slots[p.Var]
			if !ok {
				slot = len(cr.sources)
				if slot >= maxSlots {
					return nil, 0, fmt.Errorf("request %s: more than %d data sources", r.Name, maxSlots)
				}
				slots[p.Var] = slot
				cr.sources = append(cr.sources, src)
			}
			esc := escRaw
			if inURL {
				esc = escPath
				if inQuery {
					esc = escQuery
				}
			}
			out = append(out, part{slot: slot, esc: esc})
			size += 16
		}
		return out, size, nil
	}
	var err error
	if cr.url, cr.urlLen, err = compile(base+r.Path, true); err != nil {
		return cr, err
	}
	if cr.body, cr.bodyLen, err = compile(r.Body, false); err != nil {
		return cr, err
	}
	if len(cr.body) == 1 && cr.body[0].slot < 0 {
		cr.static = []byte(cr.body[0].literal)
		cr.body = nil
	}
	return cr, nil
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
	buf := make([]byte, 0, r.urlLen+len(r.fragment))
	buf = render(buf, r.url, r.sources, &drawn)
	buf = append(buf, r.fragment...)
	tgt.Method = r.method
	tgt.URL = string(buf)
	tgt.Header = r.header
	if r.body != nil {
		tgt.Body = render(make([]byte, 0, r.bodyLen), r.body, r.sources, &drawn)
	} else {
		tgt.Body = r.static
	}
	return nil
}

func render(dst []byte, parts []part, sources []*source, drawn *[maxSlots]int64) []byte {
	for _, p := range parts {
		if p.slot < 0 {
			dst = append(dst, p.literal...)
			continue
		}
		dst = sources[p.slot].appendValue(dst, drawn[p.slot], p.esc)
	}
	return dst
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
