package scenarios

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
)

// TestNotATextFile: a binary file given as a scenario (a build artifact, a
// file saved in another encoding) was refused with yaml's "control
// characters are not allowed" and no line. It is "not a text file", at the
// line and column of the first byte that is not text.
func TestNotATextFile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src string
		// want are substrings of the error, the first "bin.yaml:LINE:COL:".
		want []string
	}{
		{name: "NUL byte", src: "name: x\ntarget: {base_url: \"http://a\x00\"}\n",
			want: []string{"bin.yaml:2:29:", "not a text file", "U+0000"}},
		{name: "invalid UTF-8", src: "name: x\n\n  héé: \xff\xfe\n",
			want: []string{"bin.yaml:3:8:", "not a text file", "invalid UTF-8"}},
		{name: "an executable", src: "\x7fELF\x02\x01\x01\x00\x00\x00",
			want: []string{"bin.yaml:1:1:", "not a text file", "U+007F"}},
		{name: "escape sequence", src: "name: a\n\x1b[31m: b\n",
			want: []string{"bin.yaml:2:1:", "not a text file", "U+001B"}},
		{name: "truncated UTF-16", src: "\xff\xfen\x00a\x00m",
			want: []string{"bin.yaml:1:3:", "not a text file", "UTF-16"}},
		{name: "unpaired surrogate in UTF-16", src: "\xfe\xff\x00n\x00\n\xd8\x00\x00a",
			want: []string{"bin.yaml:2:1:", "not a text file", "UTF-16"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(c.src), "bin.yaml", "")
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("want a *scenarios.Error, got %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%q", w, err)
				}
			}
		})
	}
}

// TestTextEncodingsAccepted: what yaml reads stays accepted: UTF-8 with or
// without a byte-order mark, tabs and CRLF line ends, characters beyond the
// basic plane, and UTF-16 with a byte-order mark (what Windows PowerShell's
// redirection writes).
func TestTextEncodingsAccepted(t *testing.T) {
	t.Parallel()
	const src = "name: t\r\ndescription: \"caf\u00e9 \U0001F600\"\r\ntarget: {base_url: \"http://127.0.0.1:1\"}\t\r\nload: {stages: [{duration: 1s, rate: 1/s}]}\r\nrequests: [{name: r, path: /}]\r\n"
	utf16le := []byte{0xFF, 0xFE}
	utf16be := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(src)) {
		utf16le = append(utf16le, byte(u), byte(u>>8))
		utf16be = append(utf16be, byte(u>>8), byte(u))
	}
	for name, data := range map[string][]byte{
		"UTF-8": []byte(src), "UTF-8 with BOM": []byte(bom + src),
		"UTF-16LE": utf16le, "UTF-16BE": utf16be,
	} {
		sc, err := Parse(data, "ok.yaml", "")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if sc.Description != "café \U0001F600" {
			t.Errorf("%s: description %q", name, sc.Description)
		}
	}
}
