package redact

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Terminal returns s ready to print on one terminal line: every character
// that would act on the terminal instead of showing is written escaped, as
// Go writes it in a string literal. These are the control characters (C0
// with the line feed, tab and carriage return; DEL; C1, such as CSI
// \u009b), which start escape sequences (a screen clear "\x1b[2J", a
// clipboard write "\x1b]52;c;…\a"), overwrite a line or ring the bell; the
// line and paragraph separators; the bidirectional embeddings, overrides,
// isolates and marks, which reorder what is shown; and every byte that is not
// UTF-8 (0x9b alone is CSI to a terminal in an 8-bit mode), as "\x9b".
//
// A backslash is left as it is, so the text shown is not always the text
// meant ("\x1b" may have been written as those four characters): it is for
// people to read, not to parse back. What Terminal returns holds no
// character it escapes, so escaping twice changes nothing.
func Terminal(s string) string { return terminal(s, false) }

// terminal is Terminal, keeping line feeds as they are when lines is set.
func terminal(s string, lines bool) string {
	unsafe := func(i int, r rune) bool {
		return termUnsafe(r) && !(lines && r == '\n') || r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD")
	}
	clean := true
	for i, r := range s {
		if unsafe(i, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i, r := range s {
		switch {
		case !unsafe(i, r):
			b.WriteRune(r)
		case r == utf8.RuneError:
			fmt.Fprintf(&b, `\x%02x`, s[i]) // one byte that is not UTF-8
		default:
			q := fmt.Sprintf("%+q", string(r)) // "\x1b", "\n", "\u202e"
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// termUnsafe reports whether r acts on a terminal instead of showing.
func termUnsafe(r rune) bool {
	return unicode.IsControl(r) ||
		r == '\u2028' || r == '\u2029' || // line and paragraph separators
		(r >= '\u202a' && r <= '\u202e') || // embeddings and overrides
		(r >= '\u2066' && r <= '\u2069') || // isolates
		r == '\u200e' || r == '\u200f' || r == '\u061c' // marks
}

// TerminalWriter writes to a terminal (or a log that one will show) with
// every character Terminal escapes written escaped, except the line feed:
// what a program prints there may quote a target's status text, a metrics
// endpoint's series or a scenario's field, and none of it may act on the
// terminal. Each Write is escaped on its own: a character split between two
// writes is shown as its bytes ("\xe2\x80"), never passed through.
//
// A program's own control sequences (a progress line rewritten in place
// with "\r\x1b[K") go to the writer under it (Unescaped), and carry
// nothing from outside.
type TerminalWriter struct {
	w io.Writer
}

// NewTerminalWriter returns a TerminalWriter writing to w. A w that is
// already a TerminalWriter is returned as it is.
func NewTerminalWriter(w io.Writer) *TerminalWriter {
	if tw, ok := w.(*TerminalWriter); ok {
		return tw
	}
	return &TerminalWriter{w: w}
}

// Write writes p escaped. It reports len(p) written when the escaped text
// was written whole, as fmt and io expect of a writer.
func (t *TerminalWriter) Write(p []byte) (int, error) {
	s := terminal(string(p), true)
	if _, err := io.WriteString(t.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unescaped returns the writer under w when w is a TerminalWriter, else w:
// for a program's own control sequences and for a terminal check (is the
// file under it a terminal?).
func Unescaped(w io.Writer) io.Writer {
	if tw, ok := w.(*TerminalWriter); ok {
		return tw.w
	}
	return w
}

// TerminalError returns err with its message passed through Terminal, for
// an error that may quote outside text (a network error quoting a
// certificate's names, a command's output) and is put into a line of
// loadgate's own: its line feeds show as \n. errors.Is and errors.As still
// see err; nil stays nil.
func TerminalError(err error) error {
	if err == nil {
		return nil
	}
	return &redacted{msg: Terminal(err.Error()), err: err}
}
