package runner

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/loadgate/loadgate/scenarios"
)

// escaping says how a value is written where a template puts it.
type escaping uint8

const (
	escRaw   escaping = iota // a header, or a body that is not JSON: as is
	escPath                  // a URL path segment
	escQuery                 // a URL query value
	escJSON                  // inside a string of a JSON body
	numEsc
)

// refKind is what a template part is.
type refKind uint8

const (
	refLiteral refKind = iota
	refData            // a data source's value, or a field of its row
	refVar             // a variable a flow step extracted
	refHelper          // a helper call
)

// part is a compiled template piece.
type part struct {
	kind    refKind
	literal string
	// slot is the data source's index in the renderer's sources (refData)
	// or the variable's index (refVar); field is the row field, -1 for a
	// source of single values.
	slot, field int
	esc         escaping
	helper      string
	args        []part // a helper's arguments, rendered raw
	lo, hi      int64  // random_int's bounds
}

// tmplEnv is what a template is rendered from, besides the data drawn for
// the request (or iteration): the sources, the variables, and scratch space
// for helpers. (The drawn indexes are a parameter of their own so that a
// request's array of them can stay on the stack.)
type tmplEnv struct {
	sources []*source
	vars    [][]byte
	// helperBuf and argBuf are reused between renders (a nil buffer grows
	// on first use).
	helperBuf, argBuf []byte
}

// resolver maps the names a template uses to data slots and variables.
type resolver interface {
	// resolve returns the kind (refData or refVar), slot and row field
	// (-1 for single values) of a name.
	resolve(name string) (kind refKind, slot, field int, err error)
}

// compileTemplate compiles a template for where it lands: escPath for a URL
// (query escaping after its '?'), escJSON for a JSON body (references
// inside its strings JSON-escaped, the others written as is), escRaw for a
// header or any other body.
func compileTemplate(tmpl string, esc escaping, res resolver) ([]part, error) {
	parsed, err := scenarios.ParseTemplate(tmpl)
	if err != nil {
		return nil, err
	}
	jsonBody := esc == escJSON
	inString, escaped := false, false
	var out []part
	for _, p := range parsed {
		if p.Var == "" && p.Func == "" {
			out = append(out, part{kind: refLiteral, literal: p.Literal})
			switch {
			case esc == escPath && strings.Contains(p.Literal, "?"):
				esc = escQuery
			case jsonBody:
				for i := 0; i < len(p.Literal); i++ {
					c := p.Literal[i]
					switch {
					case escaped:
						escaped = false
					case c == '\\' && inString:
						escaped = true
					case c == '"':
						inString = !inString
					}
				}
			}
			continue
		}
		e := esc
		if jsonBody && !inString {
			e = escRaw
		}
		cp, err := compileRef(p, e, res)
		if err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, nil
}

func compileRef(p scenarios.Part, esc escaping, res resolver) (part, error) {
	if p.Func == "" {
		kind, slot, field, err := res.resolve(p.Var)
		if err != nil {
			return part{}, err
		}
		return part{kind: kind, slot: slot, field: field, esc: esc}, nil
	}
	cp := part{kind: refHelper, helper: p.Func, esc: esc}
	for _, a := range p.Args {
		if a.Var == "" {
			cp.args = append(cp.args, part{kind: refLiteral, literal: a.Literal})
			continue
		}
		kind, slot, field, err := res.resolve(a.Var)
		if err != nil {
			return part{}, err
		}
		cp.args = append(cp.args, part{kind: kind, slot: slot, field: field, esc: escRaw})
	}
	if p.Func == scenarios.HelperRandomInt {
		// Validated: two integers, lo <= hi.
		cp.lo, _ = strconv.ParseInt(p.Args[0].Literal, 10, 64)
		cp.hi, _ = strconv.ParseInt(p.Args[1].Literal, 10, 64)
	}
	return cp, nil
}

// isJSONBody reports whether a body template is JSON (an object or array),
// whose strings take JSON escaping.
func isJSONBody(body string) bool {
	t := strings.TrimLeft(body, " \t\r\n")
	return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")
}

// static returns the text of a template without references.
func static(parts []part) (string, bool) {
	switch {
	case len(parts) == 0:
		return "", true
	case len(parts) == 1 && parts[0].kind == refLiteral:
		return parts[0].literal, true
	}
	return "", false
}

// render appends the template to dst. It allocates nothing unless a
// buffer must grow.
// drawn[slot] is the index drawn from env.sources[slot].
func render(dst []byte, parts []part, drawn []int64, env *tmplEnv) []byte {
	for i := range parts {
		p := &parts[i]
		switch p.kind {
		case refLiteral:
			dst = append(dst, p.literal...)
		case refData:
			dst = env.sources[p.slot].appendValue(dst, drawn[p.slot], p.field, p.esc)
		case refVar:
			dst = appendEscaped(dst, env.vars[p.slot], p.esc)
		case refHelper:
			if p.esc == escRaw {
				dst = p.appendHelper(dst, drawn, env)
				continue
			}
			env.helperBuf = p.appendHelper(env.helperBuf[:0], drawn, env)
			dst = appendEscaped(dst, env.helperBuf, p.esc)
		}
	}
	return dst
}

// appendHelper appends the helper's value, unescaped.
func (p *part) appendHelper(dst []byte, drawn []int64, env *tmplEnv) []byte {
	switch p.helper {
	case scenarios.HelperUUID:
		return appendUUID(dst)
	case scenarios.HelperRandomInt:
		span := uint64(p.hi - p.lo)
		var v uint64
		if span == ^uint64(0) {
			v = rand.Uint64()
		} else {
			v = rand.Uint64N(span + 1)
		}
		return strconv.AppendInt(dst, p.lo+int64(v), 10)
	case scenarios.HelperNow:
		// The time helpers are request content for the target, not the
		// runner's timing: they stay on the wall clock (the target compares
		// them with its own), whatever clock the runner is given.
		return time.Now().UTC().AppendFormat(dst, time.RFC3339)
	case scenarios.HelperNowUnix:
		return strconv.AppendInt(dst, time.Now().Unix(), 10)
	case scenarios.HelperNowUnixMs:
		return strconv.AppendInt(dst, time.Now().UnixMilli(), 10)
	case scenarios.HelperBase64:
		env.argBuf = render(env.argBuf[:0], p.args, drawn, env)
		return base64.StdEncoding.AppendEncode(dst, env.argBuf)
	}
	panic(fmt.Sprintf("runner: unknown template helper %q", p.helper)) // validated by scenarios
}

const hexDigits = "0123456789abcdef"

// appendUUID appends a random version 4 UUID.
func appendUUID(dst []byte) []byte {
	var b [16]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// appendEscaped appends s escaped for where it lands. In a path, a value
// that is "." or ".." has its dots escaped ("%2E%2E"), as url.PathEscape
// does not: set whole between two slashes it would be a dot segment, which
// names the same or the parent directory (RFC 3986 5.2.4); next to a literal
// dot of the scenario's it makes no dot segment either ("./%2E"). Every
// other byte is escaped as url.PathEscape and url.QueryEscape escape it.
func appendEscaped[T string | []byte](dst []byte, s T, esc escaping) []byte {
	if esc == escPath && dotSegment(s) {
		for range len(s) {
			dst = append(dst, "%2E"...)
		}
		return dst
	}
	switch esc {
	case escPath, escQuery:
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case unreserved(c) || esc == escPath && (c == '$' || c == '&' || c == '+' || c == ':' || c == '=' || c == '@'):
				dst = append(dst, c)
			case c == ' ' && esc == escQuery:
				dst = append(dst, '+')
			default:
				dst = append(dst, '%', upperHex[c>>4], upperHex[c&0xf])
			}
		}
		return dst
	case escJSON:
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
		}
		return dst
	}
	return append(dst, s...)
}

const upperHex = "0123456789ABCDEF"

// dotSegment reports whether s is "." or "..".
func dotSegment[T string | []byte](s T) bool {
	return len(s) == 1 && s[0] == '.' || len(s) == 2 && s[0] == '.' && s[1] == '.'
}

// unreserved reports whether c is an RFC 3986 unreserved character, which
// url.PathEscape and url.QueryEscape leave as is.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}
