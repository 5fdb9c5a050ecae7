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
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Kind names which of the source's fields is set: "range", "values",
// "file", "csv", "json", or "" when none is.
func (d DataSource) Kind() string {
	var kinds []string
	if d.Range != nil {
		kinds = append(kinds, "range")
	}
	if d.Values != nil {
		kinds = append(kinds, "values")
	}
	if d.File != "" {
		kinds = append(kinds, "file")
	}
	if d.CSV != "" {
		kinds = append(kinds, "csv")
	}
	if d.JSON != "" {
		kinds = append(kinds, "json")
	}
	if len(kinds) != 1 {
		return strings.Join(kinds, "+")
	}
	return kinds[0]
}

// Values returns the values of a values, file, csv (with a column) or json
// (of scalars) source, read from disk where needed. A range source has no
// list, and a whole-row source gives a Table: both return nil.
func (s *Scenario) Values(name string) ([]string, error) {
	d, ok := s.Data[name]
	if !ok {
		return nil, fmt.Errorf("no data source %q", name)
	}
	switch d.Kind() {
	case "values":
		return d.Values, nil
	case "file":
		return readLines(s.dataPath(d.File))
	case "csv":
		if d.Column == "" {
			return nil, nil
		}
		return readCSVColumn(s.dataPath(d.CSV), d.Column)
	case "json":
		_, values, err := readJSONData(s.dataPath(d.JSON))
		return values, err
	}
	return nil, nil
}

func (s *Scenario) dataPath(p string) string {
	if filepath.IsAbs(p) || s.dir == "" {
		return p
	}
	return filepath.Join(s.dir, p)
}

// readLines returns the non-empty lines of a file, trimmed of spaces.
func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data file: %w", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			lines = append(lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("data file %s: %w", path, err)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("data file %s holds no values", path)
	}
	return lines, nil
}

// readCSVColumn returns one column, named in the header row, of a CSV file.
func readCSVColumn(path, column string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data file: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("csv file %s is empty", path)
	}
	if err != nil {
		return nil, fmt.Errorf("csv file %s: %w", path, err)
	}
	col := slices.Index(header, column)
	if col < 0 {
		return nil, fmt.Errorf("csv file %s has no column %q (columns: %s)", path, column, strings.Join(header, ", "))
	}
	var values []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csv file %s: %w", path, err)
		}
		if col < len(rec) && rec[col] != "" {
			values = append(values, rec[col])
		}
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("csv file %s has no values in column %q", path, column)
	}
	return values, nil
}

// Table is the content of a whole-row data source: named fields and rows of
// values, every row with one value per field.
type Table struct {
	Fields []string
	Rows   [][]string
}

// Field returns the index of a field, or -1.
func (t *Table) Field(name string) int { return slices.Index(t.Fields, name) }

// Table returns the rows of a whole-row source (a csv without column, a
// json array of objects), read from disk; nil for a source of single values.
func (s *Scenario) Table(name string) (*Table, error) {
	d, ok := s.Data[name]
	if !ok {
		return nil, fmt.Errorf("no data source %q", name)
	}
	switch d.Kind() {
	case "csv":
		if d.Column != "" {
			return nil, nil
		}
		return readCSVTable(s.dataPath(d.CSV))
	case "json":
		t, _, err := readJSONData(s.dataPath(d.JSON))
		return t, err
	}
	return nil, nil
}

// readCSVTable reads a CSV file with a header row as a table; a row with
// more or fewer fields than the header is an error naming its line.
func readCSVTable(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data file: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 0 // every record as long as the header
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("csv file %s is empty", path)
	}
	if err != nil {
		return nil, fmt.Errorf("csv file %s: %w", path, err)
	}
	for i, h := range header {
		if h == "" {
			return nil, fmt.Errorf("csv file %s: column %d of the header has no name", path, i+1)
		}
		if slices.Index(header, h) != i {
			return nil, fmt.Errorf("csv file %s: column %q is named twice in the header", path, h)
		}
	}
	t := &Table{Fields: header}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csv file %s: %w", path, err)
		}
		t.Rows = append(t.Rows, rec)
	}
	if len(t.Rows) == 0 {
		return nil, fmt.Errorf("csv file %s has a header and no rows", path)
	}
	return t, nil
}

// readJSONData reads a JSON array: of objects (a table, every object with
// the same keys) or of scalars (values).
func readJSONData(path string) (*Table, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("data file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var items []any
	if err := dec.Decode(&items); err != nil {
		return nil, nil, fmt.Errorf("json file %s: want an array of objects or of values: %w", path, err)
	}
	if len(items) == 0 {
		return nil, nil, fmt.Errorf("json file %s holds an empty array", path)
	}
	text := func(v any) string {
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
	if _, isObj := items[0].(map[string]any); !isObj {
		values := make([]string, len(items))
		for i, it := range items {
			switch it.(type) {
			case map[string]any, []any:
				return nil, nil, fmt.Errorf("json file %s: element %d is an object or array, element 0 a value: want all objects or all values", path, i)
			}
			values[i] = text(it)
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
			return nil, nil, fmt.Errorf("json file %s: element %d is not an object, element 0 is: want all objects or all values", path, i)
		}
		if len(obj) != len(t.Fields) {
			return nil, nil, fmt.Errorf("json file %s: element %d has %d keys, element 0 has %d (%s): every object needs the same keys", path, i, len(obj), len(t.Fields), strings.Join(t.Fields, ", "))
		}
		row := make([]string, len(t.Fields))
		for j, f := range t.Fields {
			v, ok := obj[f]
			if !ok {
				return nil, nil, fmt.Errorf("json file %s: element %d has no key %q, element 0 has: every object needs the same keys", path, i, f)
			}
			row[j] = text(v)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil, nil
}
