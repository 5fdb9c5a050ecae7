package scenarios

import (
	"fmt"
	"path/filepath"
	"slices"
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
