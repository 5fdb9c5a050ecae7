package scenarios

import (
	"errors"
	"fmt"
	"strings"
)

// expandEnv replaces ${VAR} and ${VAR:-default} in s. ${VAR:-default} takes
// the default when VAR is unset or empty; ${VAR} with VAR unset is an error
// (a header or URL silently empty is worse than a refusal); "$$" is a
// literal "$". Any other "$" is left as written.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '{':
		default:
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			// The value is not quoted: it may be a credential.
			return "", errors.New("unterminated ${")
		}
		expr := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validEnvName(name) {
			return "", fmt.Errorf("bad variable name %q", name)
		}
		v, ok := lookup(name)
		if hasDef && (!ok || v == "") {
			v = def
		}
		if !ok && !hasDef {
			return "", fmt.Errorf("${%s} is not set and has no default (set %s, or write ${%s:-default})", name, name, name)
		}
		b.WriteString(v)
		i += 2 + end
	}
	return b.String(), nil
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
