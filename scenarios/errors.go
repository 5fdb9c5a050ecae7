package scenarios

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a scenario, where it was written.
type Problem struct {
	Pos
	// Field is the path of the field, e.g. "load.stages[1].rate"; empty for
	// the document as a whole.
	Field string
	Msg   string
}

// Error lists every problem found in one scenario source. Its text has one
// line per problem: "file:line:column: field: message".
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
		}
		b.WriteString(": ")
		if p.Field != "" {
			b.WriteString(p.Field)
			b.WriteString(": ")
		}
		b.WriteString(p.Msg)
	}
	return b.String()
}

// problems collects problems while decoding or validating.
type problems struct {
	list []Problem
}

func (ps *problems) add(pos Pos, field, format string, args ...any) {
	ps.list = append(ps.list, Problem{Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems as an *Error sorted by position, or nil.
func (ps *problems) err(file string) error {
	if len(ps.list) == 0 {
		return nil
	}
	list := append([]Problem(nil), ps.list...)
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Line != list[j].Line {
			return list[i].Line < list[j].Line
		}
		return list[i].Column < list[j].Column
	})
	return &Error{File: file, Problems: list}
}
