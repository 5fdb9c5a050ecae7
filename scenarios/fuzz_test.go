package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzzers' property: no panic, an error of the documented kind, and
// what is accepted keeps the invariants the runner relies on. Run them
// longer with
//
//	go test -run XXX -fuzz FuzzParse -fuzztime 60s ./scenarios/
//	go test -run XXX -fuzz FuzzCSV -fuzztime 60s ./scenarios/
//	go test -run XXX -fuzz FuzzJSONData -fuzztime 60s ./scenarios/

// FuzzParse feeds arbitrary bytes to the parser: it returns a scenario with
// requests or flows, or an *Error listing problems; never a panic. The seeds
// are small on purpose: the fuzzer minimises every new input, which is slow
// for whole scenario files.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"name: a\ntarget: {base_url: \"http://h:1\"}\nload: {stages: [{duration: 1s, rate: 0 -> 5/s}]}\nrequests: [{name: r, path: /x}]\n",
		"name: a\ntarget: {base_url: \"http://h:1\"}\nload: {model: closed, think_time: 1s, stages: [{duration: 1m, users: 3}]}\nrequests: [{name: r, path: /x}]\n",
		"name: a\ntarget: {base_url: \"${U:-http://h:1}\"}\ndata: {u: {range: [1, 9], pick: zipf}, v: {values: [x]}}\nload: {warmup: 1s, stages: [{duration: 2s, rate: 9/m}]}\nrequests: [{name: r, weight: 2, method: post, path: \"/{{u}}?q={{v}}\", body: \"{{v}}\", expect: [201]}]\ngates: [p95 < 1s]\n",
		"name: &a x\nload: *a\n",
		"stages:\n  - {rate: fast}\n",
		"name: a\n\x1b[31m: \xff\x00\n",
		"\xff\xfen\x00:\x00 \x00a\x00",
	} {
		f.Add([]byte(seed))
	}
	opts := Options{LookupEnv: func(string) (string, bool) { return "", false }}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse(data, "fuzz.yaml", "/nonexistent", opts)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || len(se.Problems) == 0 {
				t.Fatalf("error %v (%T) is no *Error with problems", err, err)
			}
			return
		}
		if len(sc.Requests) == 0 && len(sc.Flows) == 0 {
			t.Fatal("accepted a scenario with neither requests nor flows")
		}
		_ = sc.Describe()
	})
}

// FuzzCSV reads arbitrary bytes as a CSV data file, whole rows and one
// column: every row accepted is as long as the header, every value taken
// from a column is non-empty, and no name keeps a byte-order mark.
func FuzzCSV(f *testing.F) {
	for _, file := range []string{"testdata/good/accounts.csv", "testdata/good/cities.csv", "testdata/bad/ragged.csv", "examples/accounts.csv"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "user")
	}
	f.Add([]byte(bom+"user,pass\nann,x\n"), "user")
	f.Add([]byte("a,\"b\nc\",d\n1,2,3\n"), "a")
	f.Add([]byte("a,b\n1\n"), "b")
	f.Fuzz(func(t *testing.T, data []byte, column string) {
		if tab, err := parseCSVTable(bytes.NewReader(data), "fuzz.csv"); err == nil {
			if len(tab.Rows) == 0 {
				t.Fatal("a table without rows")
			}
			for i, row := range tab.Rows {
				if len(row) != len(tab.Fields) {
					t.Fatalf("row %d has %d fields, the header %d", i, len(row), len(tab.Fields))
				}
			}
			for i, name := range tab.Fields {
				if name == "" || tab.Field(name) != i {
					t.Fatalf("field %d %q is empty or named twice: %q", i, name, tab.Fields)
				}
			}
			if strings.HasPrefix(tab.Fields[0], bom) && !bytes.HasPrefix(data, []byte(bom+bom)) {
				t.Fatalf("the byte-order mark is part of the first field's name %q", tab.Fields[0])
			}
		}
		if values, err := parseCSVColumn(bytes.NewReader(data), "fuzz.csv", column); err == nil {
			if len(values) == 0 {
				t.Fatal("a column without values")
			}
			for i, v := range values {
				if v == "" {
					t.Fatalf("value %d is empty", i)
				}
			}
		}
	})
}

// FuzzJSONData reads arbitrary bytes as a JSON data file: what is accepted
// is one JSON array and nothing else, of values or of rows as long as the
// fields.
func FuzzJSONData(f *testing.F) {
	for _, file := range []string{"testdata/good/products.json", "testdata/bad/people.json", "examples/products.json", "examples/shoppers.json"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`["a", 1, true, null]`))
	f.Add([]byte(`[{"a": {"b": [1]}}] x`))
	f.Add([]byte(bom + `[{"a": 1}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, values, err := parseJSONData(data, "fuzz.json")
		if err != nil {
			if !utf8.ValidString(err.Error()) && utf8.Valid(data) {
				t.Fatalf("error text is not UTF-8: %q", err)
			}
			return
		}
		doc := bytes.TrimPrefix(data, []byte(bom))
		if !json.Valid(doc) || bytes.TrimSpace(doc)[0] != '[' {
			t.Fatalf("accepted what is not one JSON array: %q", data)
		}
		switch {
		case tab != nil && values == nil:
			if len(tab.Rows) == 0 {
				t.Fatal("a table without rows")
			}
			for i, row := range tab.Rows {
				if len(row) != len(tab.Fields) {
					t.Fatalf("row %d has %d fields, want %d", i, len(row), len(tab.Fields))
				}
			}
		case tab == nil && len(values) > 0:
		default:
			t.Fatalf("table %v and values %q: want one of them", tab, values)
		}
	})
}
