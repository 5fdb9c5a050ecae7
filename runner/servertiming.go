package runner

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/loadgate/loadgate/record"
)

// maxTimingNames bounds the Server-Timing names recorded per run: the first
// eight distinct names the target sends; later ones are ignored, so a target
// that puts ids in its names cannot grow the timeline without bound.
const maxTimingNames = 8

// serverTiming accumulates the Server-Timing header over one interval. Like
// the recorder it is used by one goroutine; it allocates only when it meets
// a new name (at most maxTimingNames times per run).
type serverTiming struct {
	names [maxTimingNames]string
	n     int
	sum   [maxTimingNames]float64 // milliseconds, this interval
	count [maxTimingNames]int64   // responses that carried the name, this interval
}

// observe adds the Server-Timing entries of one response's headers.
func (s *serverTiming) observe(h http.Header) {
	for _, v := range h["Server-Timing"] {
		s.parse(v)
	}
}

// parse adds the entries of one header value, e.g.
// `db;dur=12.3, cache;desc="a, b";dur=0.4, llm;dur=2100`. Entries without a
// dur parameter (or with a bad one) are skipped, as the spec lets a client do.
func (s *serverTiming) parse(v string) {
	for v != "" {
		var entry string
		entry, v = cutUnquoted(v, ',')
		name, params := cutUnquoted(entry, ';')
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		dur, ok := durParam(params)
		if !ok {
			continue
		}
		if i := s.index(name); i >= 0 {
			s.sum[i] += dur
			s.count[i]++
		}
	}
}

// index finds name's slot, taking a new one while there is room; -1 when
// the name is new and every slot is taken.
func (s *serverTiming) index(name string) int {
	for i := 0; i < s.n; i++ {
		if s.names[i] == name {
			return i
		}
	}
	if s.n == maxTimingNames {
		return -1
	}
	s.names[s.n] = strings.Clone(name) // name points into the response's header
	s.n++
	return s.n - 1
}

// durParam finds the dur parameter among `;`-separated params.
func durParam(params string) (float64, bool) {
	for params != "" {
		var p string
		p, params = cutUnquoted(params, ';')
		k, val, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "dur") {
			continue
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		d, err := strconv.ParseFloat(val, 64)
		if err != nil || d < 0 || math.IsNaN(d) || math.IsInf(d, 0) {
			return 0, false
		}
		return d, true
	}
	return 0, false
}

// cutUnquoted splits s at the first sep outside a double-quoted string.
func cutUnquoted(s string, sep byte) (before, after string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case c == '\\' && quoted:
			i++
		case c == sep && !quoted:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// flush writes the interval's means and counts into p.Server and starts a
// new interval.
func (s *serverTiming) flush(p *record.Point) {
	for i := 0; i < s.n; i++ {
		if s.count[i] == 0 {
			continue
		}
		if p.Server == nil {
			p.Server = map[string]float64{}
		}
		p.Server[record.ServerTimingPrefix+s.names[i]] = s.sum[i] / float64(s.count[i])
		p.Server[record.ServerTimingCountPrefix+s.names[i]] = float64(s.count[i])
		s.sum[i], s.count[i] = 0, 0
	}
}
