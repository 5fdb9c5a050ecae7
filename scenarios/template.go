package scenarios

import (
	"fmt"
	"strconv"
	"strings"
)

// Part is one piece of a template: literal text, a reference (Var: a data
// source, a field of a row source such as "account.user", or a variable a
// flow step extracted), or a helper call (Func with its Args).
type Part struct {
	Literal string
	Var     string
	Func    string
	Args    []Arg
}

// Arg is one argument of a helper call: a literal (a quoted string or an
// integer) or a reference (Var).
type Arg struct {
	Literal string
	Var     string
}

// Template helpers, called as {{name(args)}}.
const (
	// HelperUUID is a random (version 4) UUID.
	HelperUUID = "uuid"
	// HelperRandomInt is an integer drawn uniformly from [lo, hi]:
	// random_int(1, 100).
	HelperRandomInt = "random_int"
	// HelperNow is the time of the request, RFC 3339 in UTC.
	HelperNow = "now"
	// HelperNowUnix and HelperNowUnixMs are the time of the request in
	// seconds and milliseconds since 1970.
	HelperNowUnix   = "now_unix"
	HelperNowUnixMs = "now_unix_ms"
	// HelperBase64 is the standard base64 of its arguments joined:
	// base64(account.user, ":", account.pass).
	HelperBase64 = "base64"
)

// helperArity is the number of arguments a helper takes; -1 is one or more.
func helperArity(name string) (int, bool) {
	switch name {
	case HelperUUID, HelperNow, HelperNowUnix, HelperNowUnixMs:
		return 0, true
	case HelperRandomInt:
		return 2, true
	case HelperBase64:
		return -1, true
	}
	return 0, false
}

// HelperNames lists the template helpers.
func HelperNames() []string {
	return []string{HelperBase64, HelperNow, HelperNowUnix, HelperNowUnixMs, HelperRandomInt, HelperUUID}
}

// ParseTemplate splits s into literal text, {{name}} references and
// {{helper(args)}} calls. Spaces inside the braces are allowed: {{ user }}.
func ParseTemplate(s string) ([]Part, error) {
	var parts []Part
	rest := s
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			if rest != "" {
				parts = append(parts, Part{Literal: rest})
			}
			return parts, nil
		}
		if open > 0 {
			parts = append(parts, Part{Literal: rest[:open]})
		}
		end := strings.Index(rest[open+2:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("unterminated {{ in %q", s)
		}
		inner := strings.TrimSpace(rest[open+2 : open+2+end])
		p, err := parseRef(inner)
		if err != nil {
			return nil, fmt.Errorf("%v in %q", err, s)
		}
		parts = append(parts, p)
		rest = rest[open+2+end+2:]
	}
}

// parseRef parses what is inside {{ }}: a name or a helper call.
func parseRef(inner string) (Part, error) {
	open := strings.IndexByte(inner, '(')
	if open < 0 {
		if !validName(inner) {
			return Part{}, fmt.Errorf("bad data name {{%s}}", inner)
		}
		return Part{Var: inner}, nil
	}
	name := strings.TrimSpace(inner[:open])
	arity, ok := helperArity(name)
	if !ok {
		return Part{}, fmt.Errorf("unknown helper %q in {{%s}} (helpers: %s)", name, inner, strings.Join(HelperNames(), ", "))
	}
	if !strings.HasSuffix(inner, ")") {
		return Part{}, fmt.Errorf("unterminated ( in {{%s}}", inner)
	}
	args, err := splitArgs(inner[open+1 : len(inner)-1])
	if err != nil {
		return Part{}, fmt.Errorf("{{%s}}: %v", inner, err)
	}
	switch {
	case arity >= 0 && len(args) != arity:
		return Part{}, fmt.Errorf("{{%s}}: %s takes %d arguments, not %d", inner, name, arity, len(args))
	case arity < 0 && len(args) == 0:
		return Part{}, fmt.Errorf("{{%s}}: %s takes at least one argument", inner, name)
	}
	if name == HelperRandomInt {
		var lim [2]int64
		for i, a := range args {
			v, err := strconv.ParseInt(a.Literal, 10, 64)
			if a.Var != "" || err != nil {
				return Part{}, fmt.Errorf("{{%s}}: random_int takes two integers, lo and hi", inner)
			}
			lim[i] = v
		}
		if lim[0] > lim[1] {
			return Part{}, fmt.Errorf("{{%s}}: lo %d is above hi %d", inner, lim[0], lim[1])
		}
	}
	return Part{Func: name, Args: args}, nil
}

// splitArgs splits `a, "x, y", 3` into arguments: quoted strings (no
// escapes inside), integers and names.
func splitArgs(s string) ([]Arg, error) {
	rest := strings.TrimSpace(s)
	if rest == "" {
		return nil, nil
	}
	var args []Arg
	for {
		var a Arg
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated string %s", rest)
			}
			a.Literal = rest[1 : 1+end]
			rest = strings.TrimSpace(rest[end+2:])
		} else {
			i := strings.IndexByte(rest, ',')
			if i < 0 {
				i = len(rest)
			}
			tok := strings.TrimSpace(rest[:i])
			if _, err := strconv.ParseInt(tok, 10, 64); err == nil {
				a.Literal = tok
			} else if validName(tok) {
				a.Var = tok
			} else {
				return nil, fmt.Errorf("bad argument %q: want a quoted string, an integer or a name", tok)
			}
			rest = rest[i:]
		}
		args = append(args, a)
		if rest == "" {
			return args, nil
		}
		if rest[0] != ',' {
			return nil, fmt.Errorf("want ',' between arguments at %q", rest)
		}
		rest = strings.TrimSpace(rest[1:])
		if rest == "" {
			return nil, fmt.Errorf("missing argument after ','")
		}
	}
}

// validName reports whether s is a usable request or data name: letters,
// digits, '_', '-' and '.', not empty.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		ok := r == '_' || r == '-' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}
