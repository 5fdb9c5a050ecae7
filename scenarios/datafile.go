package scenarios

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/loadgate/loadgate/record"
)

// The readers of data files. Each names the file, and the line (and column)
// where it can, in its errors. A UTF-8 byte-order mark at the start of a
// file, as spreadsheets write, is not data: it is dropped.

// utf8BOM is the byte-order mark some editors put at the start of UTF-8.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// MaxDataBytes bounds a data file (csv, lines or json): a regular file of
// at most this many bytes, so that a device, a pipe or a file that never
// ends cannot hold the load before it starts.
const MaxDataBytes = 256 << 20

// openData opens a data file: a regular file of at most MaxDataBytes.
func openData(path string) (*os.File, error) {
	f, err := record.OpenRegular(path, MaxDataBytes)
	if err != nil {
		return nil, fmt.Errorf("data file: %w", err)
	}
	return f, nil
}

// skipBOM returns r after its byte-order mark, if it starts with one.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		br.Discard(len(utf8BOM)) //nolint:errcheck // the bytes were peeked
	}
	return br
}

// readLines returns the non-empty lines of a file, trimmed of spaces.
func readLines(path string) ([]string, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseLines(f, path)
}

// parseLines returns the non-empty lines of r, trimmed of spaces; name is
// the file in errors.
func parseLines(r io.Reader, name string) ([]string, error) {
	var lines []string
	read := 0 // lines read, blank ones too
	sc := bufio.NewScanner(skipBOM(r))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		read++
		if line := strings.TrimSpace(sc.Text()); line != "" {
			lines = append(lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("data file %s:%d: %w", name, read+1, err)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("data file %s holds no values", name)
	}
	return lines, nil
}

// readCSVColumn returns one column, named in the header row, of a CSV file.
func readCSVColumn(path, column string) ([]string, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseCSVColumn(f, path, column)
}

// parseCSVColumn returns the non-empty values of one column, named in the
// header row, of the CSV in r; name is the file in errors.
func parseCSVColumn(r io.Reader, name, column string) ([]string, error) {
	col := -1
	var values []string
	err := parseCSV(r, name, func(header []string) error {
		if col = slices.Index(header, column); col < 0 {
			return fmt.Errorf("csv file %s has no column %q (columns: %s)", name, column, quoteList(header))
		}
		return nil
	}, func(rec []string) {
		if rec[col] != "" {
			values = append(values, rec[col])
		}
	})
	if err != nil {
		return nil, err
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("csv file %s has no values in column %q", name, column)
	}
	return values, nil
}

// readCSVTable reads a CSV file with a header row as a table.
func readCSVTable(path string) (*Table, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseCSVTable(f, path)
}

// parseCSVTable reads the CSV in r, whose header row names every column
// once, as a table; name is the file in errors.
func parseCSVTable(r io.Reader, name string) (*Table, error) {
	t := &Table{}
	err := parseCSV(r, name, func(header []string) error {
		for i, h := range header {
			if h == "" {
				return fmt.Errorf("csv file %s: column %d of the header has no name", name, i+1)
			}
			if slices.Index(header, h) != i {
				return fmt.Errorf("csv file %s: column %q is named twice in the header", name, h)
			}
		}
		t.Fields = header
		return nil
	}, func(rec []string) {
		t.Rows = append(t.Rows, rec)
	})
	if err != nil {
		return nil, err
	}
	if len(t.Rows) == 0 {
		return nil, fmt.Errorf("csv file %s has a header and no rows", name)
	}
	return t, nil
}

// parseCSV reads a CSV with a header row: header is given the header, and
// row each record after it, every one as long as the header (a row with
// more or fewer fields is an error naming its line).
func parseCSV(r io.Reader, name string, header func([]string) error, row func([]string)) error {
	cr := csv.NewReader(skipBOM(r))
	cr.FieldsPerRecord = 0 // every record as long as the first
	h, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("csv file %s is empty", name)
	}
	if err != nil {
		return csvError(name, err, nil, 0)
	}
	if err := header(h); err != nil {
		return err
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return csvError(name, err, rec, len(h))
		}
		row(rec)
	}
}

// csvError names the file and line of a CSV reader's error; rec is the
// record read with it, the header fields long.
func csvError(name string, err error, rec []string, fields int) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("csv file %s: %w", name, err)
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return fmt.Errorf("csv file %s:%d: the row has %d %s, the header has %d: every row needs one value per column",
			name, pe.StartLine, len(rec), plural(len(rec), "field", "fields"), fields)
	}
	return fmt.Errorf("csv file %s:%d:%d: %w", name, pe.Line, pe.Column, pe.Err)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// quoteList quotes each of names (outside text: a file's header) and joins
// them with commas.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// readJSONData reads a JSON file holding one array: of objects (a table,
// every object with the same keys) or of scalars (values).
func readJSONData(path string) (*Table, []string, error) {
	data, err := record.ReadRegular(path, MaxDataBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("data file: %w", err)
	}
	return parseJSONData(data, path)
}

// parseJSONData reads data, one JSON array, as readJSONData does; name is
// the file in errors.
func parseJSONData(data []byte, name string) (*Table, []string, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF):
			return nil, nil, fmt.Errorf("json file %s is empty: want an array of objects or of values", name)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, nil, fmt.Errorf("json file %s ends before its array does", name)
		case errors.As(err, &se):
			return nil, nil, fmt.Errorf("json file %s:%s: %w", name, lineCol(data, se.Offset-1), err)
		}
		return nil, nil, fmt.Errorf("json file %s: %w", name, err)
	}
	items, ok := doc.([]any)
	if !ok {
		return nil, nil, fmt.Errorf("json file %s holds %s: want an array of objects or of values", name, jsonKind(doc))
	}
	if rest := dec.InputOffset(); len(bytes.TrimSpace(data[rest:])) > 0 {
		at := rest + int64(len(data[rest:])-len(bytes.TrimLeft(data[rest:], " \t\r\n")))
		return nil, nil, fmt.Errorf("json file %s:%s: text after the array: a data file holds one array and nothing after it", name, lineCol(data, at))
	}
	if len(items) == 0 {
		return nil, nil, fmt.Errorf("json file %s holds an empty array", name)
	}
	if _, isObj := items[0].(map[string]any); !isObj {
		values := make([]string, len(items))
		for i, it := range items {
			switch it.(type) {
			case map[string]any, []any:
				return nil, nil, fmt.Errorf("json file %s: element %d is an object or array, element 0 a value: want all objects or all values", name, i)
			}
			values[i] = jsonText(it)
		}
		return nil, values, nil
	}
	first := items[0].(map[string]any)
	t := &Table{}
	for k := range first {
		t.Fields = append(t.Fields, k)
	}
	slices.Sort(t.Fields)
	for i, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("json file %s: element %d is not an object, element 0 is: want all objects or all values", name, i)
		}
		if len(obj) != len(t.Fields) {
			return nil, nil, fmt.Errorf("json file %s: element %d has %d keys, element 0 has %d (%s): every object needs the same keys", name, i, len(obj), len(t.Fields), strings.Join(t.Fields, ", "))
		}
		row := make([]string, len(t.Fields))
		for j, f := range t.Fields {
			v, ok := obj[f]
			if !ok {
				return nil, nil, fmt.Errorf("json file %s: element %d has no key %q, element 0 has: every object needs the same keys", name, i, f)
			}
			row[j] = jsonText(v)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil, nil
}

// jsonText is a decoded JSON value as a template inserts it: strings and
// numbers as written, objects and arrays as JSON.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v) // decoded JSON encodes again
	return string(b)
}

// jsonKind names the kind of a decoded JSON value.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a value"
}

// lineCol is "line:column" (from 1, the column in bytes) of the byte at
// offset in data.
func lineCol(data []byte, offset int64) string {
	offset = max(0, min(offset, int64(len(data))))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return strconv.Itoa(line) + ":" + strconv.Itoa(col)
}
