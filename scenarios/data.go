package scenarios

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Kind names which of the source's fields is set: "range", "values",
// "file", "csv", or "" when none is.
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
	if len(kinds) != 1 {
		return strings.Join(kinds, "+")
	}
	return kinds[0]
}

// Values returns the values of a values, file or csv source, read from disk
// where needed. A range source has no list: it returns nil.
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
		return readCSVColumn(s.dataPath(d.CSV), d.Column)
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
