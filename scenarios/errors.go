package scenarios

import (
	"fmt"
	"slices"
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
	// fatal is set when decoding stopped short (a document too large or
	// too deep): what it left is no scenario worth validating.
	fatal bool
}

func (ps *problems) add(pos Pos, field, format string, args ...any) {
	ps.list = append(ps.list, Problem{Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// addUnrelated adds the problems of more (validation's) except those of a
// field that has a problem in ps (decoding's), or that is inside or around
// one: a value the decoder could not read is left empty, and what
// validation says of it ("must be positive", "an extract needs one of …")
// only follows from that.
func (ps *problems) addUnrelated(more *problems) {
	decoded := slices.Clone(ps.list)
	for _, p := range more.list {
		if !slices.ContainsFunc(decoded, func(d Problem) bool { return related(d.Field, p.Field) }) {
			ps.list = append(ps.list, p)
		}
	}
}

// related reports whether field paths a and b are the same, or one is
// inside the other ("flows[0].steps[1]" and "flows[0].steps[1].extract.x").
// The document as a whole ("") is related to every field.
func related(a, b string) bool {
	inside := func(x, y string) bool {
		return x == "" || strings.HasPrefix(y, x+".") || strings.HasPrefix(y, x+"[")
	}
	return a == b || inside(a, b) || inside(b, a)
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
