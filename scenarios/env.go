package scenarios

import (
	"errors"
	"fmt"
	"strings"

	"github.com/loadgate/loadgate/redact"
)

// expandEnv replaces ${VAR} and ${VAR:-default} in s. ${VAR:-default} takes
// the default when VAR is unset or empty; ${VAR} with VAR unset is an error
// (a header or URL silently empty is worse than a refusal); "$$" is a
// literal "$". Any other "$" is left as written.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	x, err := expandEnvShown(s, lookup)
	return x.value, err
}

// expanded is a scalar after ${VAR} expansion.
type expanded struct {
	value string
	// shown is the value with each expansion replaced by redact.Mask (it
	// may be a credential); it equals value when there was none.
	shown string
	// env are the values taken from the environment, not from a default.
	env []string
}

// expandEnvShown is expandEnv that also says what may be shown of the
// result and which values came from the environment.
func expandEnvShown(s string, lookup func(string) (string, bool)) (expanded, error) {
	if !strings.Contains(s, "$") {
		return expanded{value: s, shown: s}, nil
	}
	var b, shown strings.Builder
	var env []string
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			shown.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			shown.WriteByte('$')
			i++
			continue
		case '{':
		default:
			b.WriteByte(c)
			shown.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			// The value is not quoted: it may be a credential.
			return expanded{}, errors.New("unterminated ${")
		}
		expr := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validEnvName(name) {
			return expanded{}, fmt.Errorf("bad variable name %q", name)
		}
		v, ok := lookup(name)
		switch {
		case hasDef && (!ok || v == ""):
			v = def
		case !ok:
			return expanded{}, fmt.Errorf("${%s} is not set and has no default (set %s, or write ${%s:-default})", name, name, name)
		case v != "":
			env = append(env, v)
		}
		b.WriteString(v)
		shown.WriteString(redact.Mask)
		i += 2 + end
	}
	return expanded{value: b.String(), shown: shown.String(), env: env}, nil
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		ok := r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}
