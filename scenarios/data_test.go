package scenarios

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dataScenario is a valid scenario with one data source, d, whose YAML is
// source; the request names d's field (or d itself when field is "").
func dataScenario(source, field string) string {
	ref := "d"
	if field != "" {
		ref += "." + field
	}
	return "name: d\ntarget: {base_url: \"http://127.0.0.1:1\"}\nload: {stages: [{duration: 1s, rate: 1/s}]}\n" +
		"data:\n  d: " + source + "\nrequests: [{name: r, path: \"/{{" + ref + "}}\"}]\n"
}

// parseWithFile writes content to dir/file and parses a scenario whose
// data source d is source, read from dir.
func parseWithFile(t *testing.T, file, content, source, field string) (*Scenario, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return Parse([]byte(dataScenario(source, field)), "data.yaml", dir)
}

const bom = "\ufeff"

// TestDataFilesWithByteOrderMark: a file saved by a spreadsheet starts with a
// UTF-8 byte-order mark; it was part of the first column's name, so
// `column: user` was refused with an invisible U+FEFF in the message. The
// mark is not data, in any kind of file.
func TestDataFilesWithByteOrderMark(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, content, source, field string
		// values are d's values, or fields its table's fields.
		values, fields []string
	}{
		{name: "csv column", file: "a.csv", content: bom + "user,pass\nann,x\nbob,y\n", source: "{csv: a.csv, column: user}",
			values: []string{"ann", "bob"}},
		{name: "csv rows", file: "a.csv", content: bom + "user,pass\nann,x\n", source: "{csv: a.csv}", field: "user",
			fields: []string{"user", "pass"}},
		{name: "lines", file: "a.txt", content: bom + "ann\nbob\n", source: "{file: a.txt}",
			values: []string{"ann", "bob"}},
		{name: "json values", file: "a.json", content: bom + `["ann", "bob"]`, source: "{json: a.json}",
			values: []string{"ann", "bob"}},
		{name: "json rows", file: "a.json", content: bom + `[{"user": "ann"}]`, source: "{json: a.json}", field: "user",
			fields: []string{"user"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sc, err := parseWithFile(t, c.file, c.content, c.source, c.field)
			if err != nil {
				t.Fatalf("refused: %q", err)
			}
			if c.values != nil {
				got, err := sc.Values("d")
				if err != nil || !slices.Equal(got, c.values) {
					t.Errorf("values %q (%v), want %q", got, err, c.values)
				}
			}
			if c.fields != nil {
				tab, err := sc.Table("d")
				if err != nil || tab == nil || !slices.Equal(tab.Fields, c.fields) {
					t.Errorf("table %+v (%v), want fields %q", tab, err, c.fields)
				}
			}
		})
	}
}

// TestDataFilesRefused: data files that were accepted with rows or bytes
// silently dropped, or refused with a message that hid what was wrong. Each
// error names the scenario's field, the data file and where in it.
func TestDataFilesRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, content, source, field string
		want                               []string
	}{
		// A short row was skipped in column mode (a long one was taken):
		// the file is malformed either way, as in whole-row mode.
		{name: "csv column: short row", file: "a.csv", content: "user,pass\nann,x\nbob\ncy,z\n", source: "{csv: a.csv, column: pass}",
			want: []string{"data.d.csv", "a.csv:3:", "1 field", "header has 2"}},
		{name: "csv column: long row", file: "a.csv", content: "user,pass\nann,x\nbob,y,z\n", source: "{csv: a.csv, column: user}",
			want: []string{"data.d.csv", "a.csv:3:", "3 fields", "header has 2"}},
		{name: "csv rows: short row", file: "a.csv", content: "user,pass\nann,x\nbob\n", source: "{csv: a.csv}", field: "user",
			want: []string{"data.d.csv", "a.csv:3:", "1 field", "header has 2"}},
		{name: "csv: missing column lists the columns quoted", file: "a.csv", content: "user,pass\nann,x\n", source: "{csv: a.csv, column: name}",
			want: []string{"a.csv", `no column "name"`, `"user", "pass"`}},
		// Whatever followed the array was ignored.
		{name: "json: garbage after the array", file: "a.json", content: "[\"ann\",\n \"bob\"]\n junk", source: "{json: a.json}",
			want: []string{"data.d.json", "a.json:3:2:", "after the array"}},
		{name: "json: second array", file: "a.json", content: `["ann"] ["bob"]`, source: "{json: a.json}",
			want: []string{"data.d.json", "a.json:1:9:", "after the array"}},
		{name: "json: syntax error has a line", file: "a.json", content: "[\n\"ann\",\n}", source: "{json: a.json}",
			want: []string{"data.d.json", "a.json:3:1:", "invalid character"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseWithFile(t, c.file, c.content, c.source, c.field)
			if err == nil {
				t.Fatalf("accepted %q", c.content)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestDataErrorsShowNoByteOrderMark: a file whose header is wrong is refused
// with a message that holds no invisible character.
func TestDataErrorsShowNoByteOrderMark(t *testing.T) {
	t.Parallel()
	_, err := parseWithFile(t, "a.csv", bom+"name,pass\nann,x\n", "{csv: a.csv, column: user}", "")
	if err == nil {
		t.Fatal("accepted a csv without the column")
	}
	if strings.ContainsRune(err.Error(), '\ufeff') {
		t.Errorf("error holds U+FEFF: %q", err)
	}
	if !strings.Contains(err.Error(), `"name", "pass"`) {
		t.Errorf("error does not list the columns: %q", err)
	}
}
