package runner

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/loadgate/loadgate/scenarios"
)

// jsonLookup finds the value at path in a JSON document and returns its
// text as written (a string with its quotes). It scans doc in place and
// allocates nothing; ok is false when the path is absent or doc is not
// JSON where the path leads.
func jsonLookup(doc []byte, path []scenarios.PathElem) (value []byte, ok bool) {
	i := skipSpace(doc, 0)
	for _, el := range path {
		if el.IsIndex {
			i, ok = jsonIndex(doc, i, el.Index)
		} else {
			i, ok = jsonMember(doc, i, el.Key)
		}
		if !ok {
			return nil, false
		}
	}
	end, ok := skipValue(doc, i)
	if !ok {
		return nil, false
	}
	return doc[i:end], true
}

// jsonMember moves from the object at i to the value of its member key.
func jsonMember(doc []byte, i int, key string) (int, bool) {
	if i >= len(doc) || doc[i] != '{' {
		return 0, false
	}
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == '}' {
		return 0, false
	}
	for i < len(doc) {
		if doc[i] != '"' {
			return 0, false
		}
		end, ok := skipString(doc, i)
		if !ok {
			return 0, false
		}
		match := jsonStringIs(doc[i:end], key)
		i = skipSpace(doc, end)
		if i >= len(doc) || doc[i] != ':' {
			return 0, false
		}
		i = skipSpace(doc, i+1)
		if match {
			return i, true
		}
		if i, ok = skipValue(doc, i); !ok {
			return 0, false
		}
		i = skipSpace(doc, i)
		if i >= len(doc) || doc[i] != ',' {
			return 0, false // '}' or malformed: no such member
		}
		i = skipSpace(doc, i+1)
	}
	return 0, false
}

// jsonIndex moves from the array at i to its element n (n < 0 counts from
// the end).
func jsonIndex(doc []byte, i, n int) (int, bool) {
	if i >= len(doc) || doc[i] != '[' {
		return 0, false
	}
	if n < 0 {
		count, ok := jsonCount(doc, i)
		if !ok || count+n < 0 {
			return 0, false
		}
		n += count
	}
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == ']' {
		return 0, false
	}
	for k := 0; i < len(doc); k++ {
		if k == n {
			return i, true
		}
		var ok bool
		if i, ok = skipValue(doc, i); !ok {
			return 0, false
		}
		i = skipSpace(doc, i)
		if i >= len(doc) || doc[i] != ',' {
			return 0, false
		}
		i = skipSpace(doc, i+1)
	}
	return 0, false
}

// jsonCount counts the elements of the array at i.
func jsonCount(doc []byte, i int) (int, bool) {
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == ']' {
		return 0, true
	}
	for n := 1; i < len(doc); n++ {
		var ok bool
		if i, ok = skipValue(doc, i); !ok {
			return 0, false
		}
		i = skipSpace(doc, i)
		if i < len(doc) && doc[i] == ']' {
			return n, true
		}
		if i >= len(doc) || doc[i] != ',' {
			return 0, false
		}
		i = skipSpace(doc, i+1)
	}
	return 0, false
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at i.
func skipString(doc []byte, i int) (int, bool) {
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

// skipValue returns the index after the value starting at i.
func skipValue(doc []byte, i int) (int, bool) {
	if i >= len(doc) {
		return 0, false
	}
	switch doc[i] {
	case '"':
		return skipString(doc, i)
	case '{', '[':
		// kinds holds a bit per open container, 1 for an object, so that
		// a ']' cannot close a '{' (up to 64 levels; deeper ones count).
		depth, kinds := 0, uint64(0)
		for j := i; j < len(doc); j++ {
			switch c := doc[j]; c {
			case '"':
				end, ok := skipString(doc, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				kinds = kinds<<1 | b2u(c == '{')
				depth++
			case '}', ']':
				if depth <= 64 && kinds&1 != b2u(c == '}') {
					return 0, false
				}
				kinds >>= 1
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	// A number, true, false or null: up to the next delimiter.
	j := i
	for j < len(doc) && doc[j] != ',' && doc[j] != '}' && doc[j] != ']' && doc[j] != ' ' && doc[j] != '\t' && doc[j] != '\n' && doc[j] != '\r' {
		j++
	}
	return j, j > i
}

// jsonStringIs reports whether the JSON string literal s (with quotes)
// decodes to want, without allocating.
func jsonStringIs(s []byte, want string) bool {
	in := s[1 : len(s)-1]
	k := 0
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(in); {
		if in[i] != '\\' {
			if k >= len(want) || want[k] != in[i] {
				return false
			}
			i, k = i+1, k+1
			continue
		}
		r, n := decodeEscape(in[i:])
		if n == 0 {
			return false
		}
		i += n
		m := utf8.EncodeRune(buf[:], r)
		if k+m > len(want) || string(buf[:m]) != want[k:k+m] {
			return false
		}
		k += m
	}
	return k == len(want)
}

// appendJSONText appends a JSON value's text: a string decoded (without
// quotes), anything else as written.
func appendJSONText(dst, value []byte) []byte {
	if len(value) < 2 || value[0] != '"' {
		return append(dst, value...)
	}
	in := value[1 : len(value)-1]
	for i := 0; i < len(in); {
		if in[i] != '\\' {
			dst = append(dst, in[i])
			i++
			continue
		}
		r, n := decodeEscape(in[i:])
		if n == 0 {
			dst = append(dst, in[i])
			i++
			continue
		}
		dst = utf8.AppendRune(dst, r)
		i += n
	}
	return dst
}

// decodeEscape decodes the escape sequence at the start of s (which begins
// with a backslash); n is 0 when it is malformed.
func decodeEscape(s []byte) (r rune, n int) {
	if len(s) < 2 {
		return 0, 0
	}
	switch s[1] {
	case '"', '\\', '/':
		return rune(s[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		r1, ok := hex4(s[2:])
		if !ok {
			return 0, 0
		}
		if utf16.IsSurrogate(r1) {
			if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
				if r2, ok := hex4(s[8:]); ok {
					if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
						return r, 12
					}
				}
			}
			return utf8.RuneError, 6
		}
		return r1, 6
	}
	return 0, 0
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
