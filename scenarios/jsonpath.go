package scenarios

import (
	"fmt"
	"strconv"
	"strings"
)

// PathElem is one step of a JSON path: an object key, or an array index
// when IsIndex (negative indexes count from the end: -1 is the last).
type PathElem struct {
	Key     string
	Index   int
	IsIndex bool
}

// ParseJSONPath parses a JSON path: "$.meal.id", "$.items[0].name",
// "$.messages[-1]", "$['odd key']"; the leading "$" may be left out
// ("meal.id"), and "$" alone is the whole document.
func ParseJSONPath(path string) ([]PathElem, error) {
	s := strings.TrimSpace(path)
	bad := func(why string) ([]PathElem, error) {
		return nil, fmt.Errorf("bad JSON path %q: %s (want e.g. $.meal.id or $.items[0].name)", path, why)
	}
	if s == "" {
		return bad("empty")
	}
	if rest, ok := strings.CutPrefix(s, "$"); ok {
		s = rest
	} else if !strings.HasPrefix(s, "[") {
		s = "." + s
	}
	var elems []PathElem
	for s != "" {
		switch s[0] {
		case '.':
			s = s[1:]
			i := strings.IndexAny(s, ".[")
			if i < 0 {
				i = len(s)
			}
			key := s[:i]
			if key == "" {
				return bad("empty key")
			}
			if strings.ContainsAny(key, "]'\" ") {
				return bad(fmt.Sprintf("key %q: write odd keys as ['key']", key))
			}
			elems = append(elems, PathElem{Key: key})
			s = s[i:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return bad("unterminated [")
			}
			in := s[1:end]
			if len(in) >= 2 && (in[0] == '\'' && in[len(in)-1] == '\'' || in[0] == '"' && in[len(in)-1] == '"') {
				elems = append(elems, PathElem{Key: in[1 : len(in)-1]})
			} else {
				n, err := strconv.Atoi(strings.TrimSpace(in))
				if err != nil {
					return bad(fmt.Sprintf("[%s] is neither an index nor a quoted key", in))
				}
				elems = append(elems, PathElem{Index: n, IsIndex: true})
			}
			s = s[end+1:]
		default:
			return bad(fmt.Sprintf("unexpected %q", s[:1]))
		}
	}
	return elems, nil
}
