package target

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxBodyBytes is the largest request body accepted; larger ones get 413.
const MaxBodyBytes = 1 << 20

// apiError is the body of every error response: {"error":{"code","message","field"}}.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func badRequest(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeRaw(w, http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`))
		return
	}
	writeRaw(w, status, body)
}

// jsonContentType is shared by every response; net/http only reads it.
var jsonContentType = []string{"application/json"}

// writeRaw writes an already encoded JSON body. net/http adds the
// Content-Length of bodies that fit its buffer.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	w.Write(body)
	w.Write(newline)
}

var newline = []byte("\n")

func writeAPIError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, struct {
		Error *apiError `json:"error"`
	}{e})
}

// decodeJSON reads a JSON object of at most MaxBodyBytes into v, strictly:
// unknown fields, wrong types, trailing data, empty bodies and bytes that are
// not UTF-8 are errors that name the field or the offset. (encoding/json
// would turn invalid UTF-8 in a string into U+FFFD and store that.)
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	return decodeBody(w, r, v, true)
}

// decodeLenientJSON is decodeJSON but for unknown fields, which are
// ignored: the OpenAI-compatible route takes requests written for servers
// with more parameters than it reads.
func decodeLenientJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	return decodeBody(w, r, v, false)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any, strict bool) *apiError {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
			Message: fmt.Sprintf("request body over %d bytes", MaxBodyBytes)}
	}
	if err != nil {
		return badRequest("", "request body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	err = dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return badRequest("", "request body: unexpected data after the JSON object")
		}
		if !utf8.Valid(body) {
			return invalidUTF8(body)
		}
		return nil
	}
	var (
		syntax    *json.SyntaxError
		wrongType *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return badRequest("", "request body: empty, want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "request body: malformed JSON (ends early)")
	case errors.As(err, &syntax):
		return badRequest("", "request body: malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &wrongType):
		field := wrongType.Field
		if field == "" {
			return badRequest("", "request body: want a JSON object, got %s", wrongType.Value)
		}
		return badRequest(field, "field %q: want %s, got %s", field, wrongType.Type, wrongType.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest(field, "unknown field %q", field)
	default:
		return badRequest("", "request body: %v", err)
	}
}

// invalidUTF8 is the error for a JSON object (decoded already) holding bytes
// that are not UTF-8: it names the first field, in name order, whose value
// holds them, as validText does for a query parameter.
func invalidUTF8(body []byte) *apiError {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			if !utf8.Valid(fields[name]) {
				return badRequest(name, "%s: not valid UTF-8", name)
			}
		}
	}
	valid := len(body)
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size <= 1 {
			valid = i
			break
		}
		i += size
	}
	return badRequest("", "request body: not valid UTF-8 at byte %d", valid)
}

// pathID parses the positive integer path value name.
func pathID(r *http.Request, name string) (int64, *apiError) {
	s := r.PathValue(name)
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest(name, "%s %q: want a positive integer", name, s)
	}
	return id, nil
}

// queryLimit parses the "limit" parameter of query (r.URL.Query(), parsed
// once per request by the caller): def when absent, else an
// integer in [1, max].
func queryLimit(query url.Values, def, max int) (int, *apiError) {
	s := query.Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, badRequest("limit", "limit %q: want an integer from 1 to %d", s, max)
	}
	return n, nil
}

// validText vets a string from a client before it can reach PostgreSQL,
// whose text columns hold neither NUL bytes nor invalid UTF-8 (a URL-decoded
// query parameter can carry both; a JSON string can carry \u0000).
func validText(field, s string) *apiError {
	if !utf8.ValidString(s) {
		return badRequest(field, "%s: not valid UTF-8", field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return badRequest(field, "%s: contains a NUL byte", field)
	}
	return nil
}

// checkText is validText and a length from min to max characters.
func checkText(field, s string, min, max int) *apiError {
	if aerr := validText(field, s); aerr != nil {
		return aerr
	}
	if n := utf8.RuneCountInString(s); n < min || n > max {
		return badRequest(field, "%s: want %d to %d characters", field, min, max)
	}
	return nil
}

// The times the API takes, in UTC: PostgreSQL's date and timestamptz have no
// year 0 (Go's year 0 is 1 BC), and a JSON time (RFC 3339) ends with 9999.
var (
	firstDay = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)
	afterDay = time.Date(10000, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// checkTime vets a client's time before it is stored as a timestamptz and
// its UTC day as a date, and answered in JSON: years 1 to 9999 in UTC.
func checkTime(field string, t time.Time) *apiError {
	if t.Before(firstDay) || !t.Before(afterDay) {
		return badRequest(field, "%s %s: want a time from the year 1 to 9999 (UTC)", field, t.Format(time.RFC3339))
	}
	return nil
}
