package scenarios

import (
	"fmt"
	"strings"
)

// Part is one piece of a template: literal text, or a reference to a data
// source when Var is set.
type Part struct {
	Literal string
	Var     string
}

// ParseTemplate splits s into literal text and {{name}} references. Spaces
// inside the braces are allowed: {{ user }}.
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
		name := strings.TrimSpace(rest[open+2 : open+2+end])
		if !validName(name) {
			return nil, fmt.Errorf("bad data name {{%s}} in %q", name, s)
		}
		parts = append(parts, Part{Var: name})
		rest = rest[open+2+end+2:]
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
