package runner

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// jsonSeeds are documents and near-documents for scanJSON's tests.
var jsonSeeds = []string{
	``, ` `, `{}`, `[]`, `{"a":1}`, ` {"a": [1, 2.5, -3e+2, true, false, null, "x\u00e9\n"]} `,
	`"s"`, `0`, `-0.0e0`, `12`, `01`, `1.`, `-`, `1e`, `.5`, `+1`, `tru`, `truex`, `nul`, `NaN`,
	`{"a":1}x`, `{"a":1} {}`, `{"a" 1}`, `{a:1}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a":1]`, `[}`,
	`"\x"`, "\"\x01\"", `"\u12G4"`, `"\ud800"`, `internal error`, `<html>`, `PASS`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("[", 100) + strings.Repeat("]", 100),
}

// TestScanJSONAgreesWithEncodingJSON: scanJSON says "whole" exactly where
// encoding/json's Valid says valid; every beginning of a valid document is
// whole or cut, never "not JSON".
func TestScanJSONAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	inputs := append([]string(nil), jsonSeeds...)
	r := rand.New(rand.NewPCG(3, 4))
	const alphabet = `{}[],:" \-+.0123456789eEtrufalsn\u`
	for range 20000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		got := scanJSON([]byte(in))
		if (got == shapeWhole) != json.Valid([]byte(in)) {
			t.Errorf("%.60q: scanJSON %d, json.Valid %v", in, got, json.Valid([]byte(in)))
		}
		if !json.Valid([]byte(in)) {
			continue
		}
		for n := range len(in) {
			if scanJSON([]byte(in[:n])) == shapeNot {
				t.Errorf("%.60q cut at %d reads as not JSON", in, n)
			}
		}
	}
}

// FuzzScanJSON: on any input, scanJSON agrees with encoding/json on what
// is one whole JSON value.
func FuzzScanJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if got := scanJSON(doc); (got == shapeWhole) != json.Valid(doc) {
			t.Errorf("%q: scanJSON %d, json.Valid %v", doc, got, json.Valid(doc))
		}
	})
}
