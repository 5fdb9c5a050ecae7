package runner

// jsonShape is what a body is to a json check: one JSON value, the
// beginning of one cut short, or neither.
type jsonShape uint8

const (
	shapeUnknown jsonShape = iota // not scanned yet
	shapeNot                      // not JSON
	shapeWhole                    // one JSON value, white space around it allowed
	shapeCut                      // JSON up to its end, where a value is unfinished
)

// maxJSONDepth is the deepest nesting scanJSON follows, as encoding/json.
const maxJSONDepth = 10000

// scanJSON reads doc as JSON (RFC 8259 syntax; strings are not checked
// for valid UTF-8, as encoding/json's Valid does not) without allocating:
// the open containers are a bit each on the stack.
func scanJSON(doc []byte) jsonShape {
	var objects [maxJSONDepth/64 + 1]uint64 // bit d: level d is an object
	isObject := func(d int) bool { return objects[d/64]&(1<<(d%64)) != 0 }
	depth, i := 0, 0
	var shape jsonShape
value:
	for {
		i = skipSpace(doc, i)
		if i >= len(doc) {
			return shapeCut
		}
		switch c := doc[i]; c {
		case '{', '[':
			if depth == maxJSONDepth {
				return shapeNot
			}
			objects[depth/64] &^= 1 << (depth % 64)
			if c == '{' {
				objects[depth/64] |= 1 << (depth % 64)
			}
			depth++
			if i = skipSpace(doc, i+1); i >= len(doc) {
				return shapeCut
			}
			if doc[i] == '}' && c == '{' || doc[i] == ']' && c == '[' {
				depth, i = depth-1, i+1
				break
			}
			if c == '{' {
				if i, shape = scanKey(doc, i); shape != shapeWhole {
					return shape
				}
			}
			continue value
		case '"':
			if i, shape = scanString(doc, i); shape != shapeWhole {
				return shape
			}
		case 't', 'f', 'n':
			if i, shape = scanLiteral(doc, i); shape != shapeWhole {
				return shape
			}
		default:
			if i, shape = scanNumber(doc, i); shape != shapeWhole {
				return shape
			}
		}
		// After a value: close containers, or go on to the next element.
		for {
			i = skipSpace(doc, i)
			switch {
			case depth == 0 && i == len(doc):
				return shapeWhole
			case depth == 0:
				return shapeNot
			case i >= len(doc):
				return shapeCut
			}
			obj := isObject(depth - 1)
			switch doc[i] {
			case ',':
				if !obj {
					i++
					continue value
				}
				if i = skipSpace(doc, i+1); i >= len(doc) {
					return shapeCut
				}
				if i, shape = scanKey(doc, i); shape != shapeWhole {
					return shape
				}
				continue value
			case '}', ']':
				if (doc[i] == '}') != obj {
					return shapeNot
				}
				depth, i = depth-1, i+1
			default:
				return shapeNot
			}
		}
	}
}

// scanKey reads an object member's key and its colon at i; it returns the
// index after the colon.
func scanKey(doc []byte, i int) (int, jsonShape) {
	if doc[i] != '"' {
		return 0, shapeNot
	}
	i, shape := scanString(doc, i)
	if shape != shapeWhole {
		return 0, shape
	}
	if i = skipSpace(doc, i); i >= len(doc) {
		return 0, shapeCut
	}
	if doc[i] != ':' {
		return 0, shapeNot
	}
	return i + 1, shapeWhole
}

// scanString reads the string that starts at i; it returns the index
// after its closing quote.
func scanString(doc []byte, i int) (int, jsonShape) {
	for j := i + 1; j < len(doc); j++ {
		switch c := doc[j]; {
		case c == '"':
			return j + 1, shapeWhole
		case c < 0x20:
			return 0, shapeNot
		case c == '\\':
			j++
			if j >= len(doc) {
				return 0, shapeCut
			}
			switch doc[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for k := 0; k < 4; k++ {
					j++
					if j >= len(doc) {
						return 0, shapeCut
					}
					if !isHex(doc[j]) {
						return 0, shapeNot
					}
				}
			default:
				return 0, shapeNot
			}
		}
	}
	return 0, shapeCut
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanLiteral reads true, false or null at i.
func scanLiteral(doc []byte, i int) (int, jsonShape) {
	var word string
	switch doc[i] {
	case 't':
		word = "true"
	case 'f':
		word = "false"
	default:
		word = "null"
	}
	for k := 0; k < len(word); k++ {
		if i+k >= len(doc) {
			return 0, shapeCut
		}
		if doc[i+k] != word[k] {
			return 0, shapeNot
		}
	}
	return i + len(word), shapeWhole
}

// scanNumber reads a number at i: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
// A number that ends with doc is whole when it could end there.
func scanNumber(doc []byte, i int) (int, jsonShape) {
	digits := func(j int) (int, jsonShape) { // one or more
		if j >= len(doc) {
			return 0, shapeCut
		}
		if doc[j] < '0' || doc[j] > '9' {
			return 0, shapeNot
		}
		for j < len(doc) && '0' <= doc[j] && doc[j] <= '9' {
			j++
		}
		return j, shapeWhole
	}
	if doc[i] == '-' {
		if i++; i >= len(doc) {
			return 0, shapeCut
		}
	}
	var shape jsonShape
	switch {
	case doc[i] == '0':
		i++
	case '1' <= doc[i] && doc[i] <= '9':
		if i, shape = digits(i); shape != shapeWhole {
			return 0, shape
		}
	default:
		return 0, shapeNot
	}
	if i < len(doc) && doc[i] == '.' {
		if i, shape = digits(i + 1); shape != shapeWhole {
			return 0, shape
		}
	}
	if i < len(doc) && (doc[i] == 'e' || doc[i] == 'E') {
		i++
		if i < len(doc) && (doc[i] == '+' || doc[i] == '-') {
			i++
		}
		if i, shape = digits(i); shape != shapeWhole {
			return 0, shape
		}
	}
	return i, shapeWhole
}
