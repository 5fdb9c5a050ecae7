package redact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestTerminal(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"plain · text ✓ \uFFFD", "plain · text ✓ \uFFFD"},   // printable, also beyond ASCII, a real U+FFFD: unchanged
		{"a\nb\tc\rd", `a\nb\tc\rd`},                         // line breaks and tabs shown, not acted on
		{"\x1b]0;title\a\x1b[2J", `\x1b]0;title\a\x1b[2J`},   // escape sequences and the bell
		{"\x1b]52;c;cHduZWQ=\x07", `\x1b]52;c;cHduZWQ=\a`},   // OSC 52: a write to the clipboard
		{"\u2028\u202eevil\u2066", `\u2028\u202eevil\u2066`}, // line separators, bidirectional overrides
		{"\u200f\u061c", `\u200f\u061c`},                     // bidirectional marks
		{"\x7f\u0085\u009b31m", `\x7f\u0085\u009b31m`},       // DEL, C1 controls as UTF-8
		{"\x9b31m \xe2\x80", `\x9b31m \xe2\x80`},             // bytes that are not UTF-8: CSI to an 8-bit terminal, a cut rune
		{`already \x1b`, `already \x1b`},                     // escaped text stays as it is
	} {
		got := Terminal(tt.in)
		if got != tt.want {
			t.Errorf("Terminal(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := Terminal(got); again != got {
			t.Errorf("Terminal(Terminal(%q)) = %q, want it unchanged", tt.in, again)
		}
	}
}

// TestTerminalWriter: a writer keeps line feeds and escapes the rest, says
// it wrote what it was given, is not wrapped twice, and Unescaped finds the
// writer under it.
func TestTerminalWriter(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := NewTerminalWriter(&b)
	n, err := fmt.Fprintf(w, "status: %s\nnext\r\x1b[K\n", "200 \x1b[2J\u202e")
	if err != nil || n != len("status: 200 \x1b[2J\u202e\nnext\r\x1b[K\n") {
		t.Errorf("Fprintf: %d, %v", n, err)
	}
	if want := "status: 200 \\x1b[2J\\u202e\nnext\\r\\x1b[K\n"; b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}
	if NewTerminalWriter(w) != w {
		t.Error("a TerminalWriter is wrapped again")
	}
	if Unescaped(w) != io.Writer(&b) || Unescaped(&b) != io.Writer(&b) {
		t.Error("Unescaped does not find the writer under a TerminalWriter, or changes another writer")
	}
	if _, err := NewTerminalWriter(failing{}).Write([]byte("x")); err == nil || !strings.Contains(err.Error(), "full") {
		t.Errorf("a failing writer's error is %v", err)
	}
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

// TestTerminalError: the message is one line, escaped; the error under it
// is still found.
func TestTerminalError(t *testing.T) {
	t.Parallel()
	base := errors.New("valid for a\nFORGED\x1b[2J")
	err := TerminalError(fmt.Errorf("get: %w", base))
	if got := err.Error(); got != `get: valid for a\nFORGED\x1b[2J` {
		t.Errorf("message %q", got)
	}
	if !errors.Is(err, base) {
		t.Error("errors.Is lost the cause")
	}
	if TerminalError(nil) != nil {
		t.Error("nil became an error")
	}
}
