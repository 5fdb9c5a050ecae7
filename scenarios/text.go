package scenarios

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// A scenario file is YAML text: UTF-8 (with or without a byte-order mark),
// or UTF-16 with a byte-order mark. Anything else (a binary, a file in
// another encoding) is "not a text file" at the line and column of the
// first byte that is not text, which yaml would refuse without a line.

// notText is where a source stops being text, and why.
type notText struct {
	Pos
	why string
}

func (n *notText) Error() string { return "not a text file: " + n.why }

// asUTF8 returns data as UTF-8 text without a byte-order mark, or where it
// is not text.
func asUTF8(data []byte) ([]byte, *notText) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return fromUTF16(data[2:], func(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 })
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return fromUTF16(data[2:], func(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) })
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	pos := Pos{Line: 1, Column: 1}
	for rest := data; len(rest) > 0; {
		r, size := utf8.DecodeRune(rest)
		if r == utf8.RuneError && size <= 1 {
			return nil, &notText{pos, fmt.Sprintf("invalid UTF-8 (byte 0x%02X): a scenario is YAML text in UTF-8", rest[0])}
		}
		if !yamlChar(r) {
			return nil, &notText{pos, fmt.Sprintf("control character %U: a scenario is YAML text in UTF-8", r)}
		}
		pos = advance(pos, r)
		rest = rest[size:]
	}
	return data, nil
}

// fromUTF16 converts UTF-16 (after its byte-order mark) to UTF-8, unit
// reading one code unit of two bytes.
func fromUTF16(data []byte, unit func([]byte) uint16) ([]byte, *notText) {
	out := make([]byte, 0, len(data))
	pos := Pos{Line: 1, Column: 1}
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, &notText{pos, "UTF-16 ends in half a character"}
		}
		r, size := rune(unit(data)), 2
		if utf16.IsSurrogate(r) {
			if len(data) < 4 {
				return nil, &notText{pos, "UTF-16 ends in half a surrogate pair"}
			}
			if r = utf16.DecodeRune(r, rune(unit(data[2:]))); r == utf8.RuneError {
				return nil, &notText{pos, "invalid UTF-16 (an unpaired surrogate)"}
			}
			size = 4
		}
		if !yamlChar(r) {
			return nil, &notText{pos, fmt.Sprintf("control character %U", r)}
		}
		out = utf8.AppendRune(out, r)
		pos = advance(pos, r)
		data = data[size:]
	}
	return out, nil
}

// yamlChar reports whether YAML allows r in a document: tab, line ends and
// the printable characters.
func yamlChar(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7E, r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD:
		return true
	}
	return r >= 0x10000 && r <= utf8.MaxRune
}

// advance is the position after r at pos (columns count characters, as yaml's do).
func advance(pos Pos, r rune) Pos {
	if r == '\n' {
		return Pos{Line: pos.Line + 1, Column: 1}
	}
	pos.Column++
	return pos
}
