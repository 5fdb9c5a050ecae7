package runner

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/loadgate/loadgate/scenarios"
)

// TestJSONLookup compares the in-place path lookup with encoding/json on
// documents with nesting, escapes, odd spacing and arrays.
func TestJSONLookup(t *testing.T) {
	t.Parallel()
	doc := []byte(` { "meal" : {"id": 42, "name": "pain \"au\" chocolat", "tags": ["a", "b\u00e9", {"k": [1, 2.5e3, null]}]},
	  "items": [ {"sku": "A-1", "n": 1}, {"sku": "B-2", "n": -3} ], "ok": true, "empty": [], "obj": {},
	  "odd key": "x", "esc\u0061ped": "y", "last": "z" } `)
	var tree any
	if err := json.Unmarshal(doc, &tree); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"$", "$.meal", "$.meal.id", "$.meal.name", "$.meal.tags", "$.meal.tags[1]", "$.meal.tags[2].k[1]",
		"$.meal.tags[2].k[2]", "$.items[0].sku", "$.items[-1].n", "$.items[-2].sku", "$.ok", "$.empty", "$.obj",
		"$['odd key']", "$.escaped", "$.last",
	} {
		elems, err := scenarios.ParseJSONPath(path)
		if err != nil {
			t.Fatal(err)
		}
		raw, ok := jsonLookup(doc, elems)
		if !ok {
			t.Errorf("%s: not found", path)
			continue
		}
		var got any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Errorf("%s: %q is not the value's JSON: %v", path, raw, err)
			continue
		}
		want := walk(tree, elems)
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("%s = %s, want %s", path, gotJSON, wantJSON)
		}
	}
	for _, path := range []string{"$.nope", "$.meal.id.x", "$.items[2]", "$.items[-3]", "$.empty[0]", "$.meal[0]", "$.items.sku", "$.obj.a"} {
		elems, _ := scenarios.ParseJSONPath(path)
		if raw, ok := jsonLookup(doc, elems); ok {
			t.Errorf("%s: found %q", path, raw)
		}
	}
	for _, bad := range []string{``, `{`, `{"a": `, `{"a" 1}`, `[1, 2`, `"open`, `{"a": [1, {"b": 2]}`} {
		elems, _ := scenarios.ParseJSONPath("$.a")
		if raw, ok := jsonLookup([]byte(bad), elems); ok {
			t.Errorf("malformed %q: found %q", bad, raw)
		}
	}
	if text := string(appendJSONText(nil, []byte(`"a\"b\\c\n\u00e9\ud83d\ude00"`))); text != "a\"b\\c\né😀" {
		t.Errorf("decoded %q", text)
	}
}

// walk follows path in a decoded JSON tree.
func walk(v any, path []scenarios.PathElem) any {
	for _, el := range path {
		if el.IsIndex {
			arr := v.([]any)
			i := el.Index
			if i < 0 {
				i += len(arr)
			}
			v = arr[i]
		} else {
			v = v.(map[string]any)[el.Key]
		}
	}
	return v
}

// checkWorker is a worker with one variable, "limit", set to 10, and no data.
func checkWorker() *worker {
	w := &worker{}
	w.env.vars = [][]byte{[]byte("10")}
	return w
}

type varScope map[string]int

func (v varScope) resolve(name string) (refKind, int, int, error) {
	return refVar, v[name], -1, nil
}

func TestChecks(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	eq := func(s string) *string { return &s }
	body := []byte(`{"status": "ok", "count": 12, "price": 9.50, "items": [{"id": 1}], "error": null, "note": "2 \"quoted\""}`)
	r := &response{code: 201, header: http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Id": {"abc"}}, body: body, duration: 300 * time.Millisecond}
	for _, c := range []struct {
		check scenarios.Check
		pass  bool
	}{
		{scenarios.Check{Status: scenarios.StatusSet{{Lo: 200, Hi: 299}}}, true},
		{scenarios.Check{Status: scenarios.StatusSet{{Lo: 200, Hi: 200}}}, false},
		{scenarios.Check{MaxDuration: scenarios.Duration(time.Second)}, true},
		{scenarios.Check{MaxDuration: scenarios.Duration(100 * time.Millisecond)}, false},
		{scenarios.Check{BodyContains: `"status": "ok"`}, true},
		{scenarios.Check{BodyContains: `"count": {{limit}}`}, false},
		{scenarios.Check{BodyMatches: `"count":\s*\d+`}, true},
		{scenarios.Check{BodyMatches: `"status":\s*"error"`}, false},
		{scenarios.Check{JSON: "$.status"}, true},
		{scenarios.Check{JSON: "$.missing"}, false},
		{scenarios.Check{JSON: "$.missing", Exists: &no}, true},
		{scenarios.Check{JSON: "$.status", Exists: &no}, false},
		{scenarios.Check{JSON: "$.error", Exists: &yes}, true}, // null is present
		{scenarios.Check{JSON: "$.status", Equals: eq("ok")}, true},
		{scenarios.Check{JSON: "$.status", Equals: eq("error")}, false},
		{scenarios.Check{JSON: "$.note", Equals: eq(`2 "quoted"`)}, true},
		{scenarios.Check{JSON: "$.price", Equals: eq("9.5")}, true}, // numbers compare as numbers
		{scenarios.Check{JSON: "$.items[0].id", Equals: eq("1")}, true},
		{scenarios.Check{JSON: "$.count", Compare: "> {{limit}}"}, true},
		{scenarios.Check{JSON: "$.count", Compare: "<= 11"}, false},
		{scenarios.Check{JSON: "$.count", Compare: "!= 12"}, false},
		{scenarios.Check{JSON: "$.count", Compare: "== 12"}, true},
		{scenarios.Check{JSON: "$.status", Compare: "> 0"}, false}, // not a number
		{scenarios.Check{JSON: "$.status", Matches: "^o"}, true},
		{scenarios.Check{Header: "content-type", Matches: "json"}, true},
		{scenarios.Check{Header: "X-Id", Equals: eq("abc")}, true},
		{scenarios.Check{Header: "X-Id", Equals: eq("abd")}, false},
		{scenarios.Check{Header: "X-Missing"}, false},
		{scenarios.Check{Header: "X-Missing", Exists: &no}, true},
	} {
		cc, err := compileCheck(c.check, varScope{"limit": 0})
		if err != nil {
			t.Fatalf("%s: %v", c.check.Label(), err)
		}
		if got := cc.pass(r, checkWorker()); got != c.pass {
			t.Errorf("%s: %v, want %v", c.check.Label(), got, c.pass)
		}
	}
}

func TestExtracts(t *testing.T) {
	t.Parallel()
	r := &response{
		header: http.Header{"Location": {"/orders/7"}, "Set-Cookie": {"theme=dark; Path=/", `sid="s-123"; HttpOnly`}},
		body:   []byte(`{"token": "t\u00e9", "n": 5, "obj": {"a": 1}} id=99;`),
	}
	for _, c := range []struct {
		ex    scenarios.Extract
		value string
		found bool
	}{
		{scenarios.Extract{JSON: "$.token"}, "té", true},
		{scenarios.Extract{JSON: "$.n"}, "5", true},
		{scenarios.Extract{JSON: "$.obj"}, `{"a": 1}`, true},
		{scenarios.Extract{JSON: "$.nope"}, "", false},
		{scenarios.Extract{Header: "location"}, "/orders/7", true},
		{scenarios.Extract{Header: "X-Nope"}, "", false},
		{scenarios.Extract{Regex: `id=(\d+)`}, "99", true},
		{scenarios.Extract{Regex: `"n": \d`}, `"n": 5`, true},
		{scenarios.Extract{Regex: `id=(x)?\d+`}, "", false}, // the group did not take part
		{scenarios.Extract{Regex: `nope(\d)`}, "", false},
		{scenarios.Extract{Cookie: "sid"}, "s-123", true},
		{scenarios.Extract{Cookie: "theme"}, "dark", true},
		{scenarios.Extract{Cookie: "them"}, "", false},
	} {
		ce, err := compileExtract("v", 0, c.ex)
		if err != nil {
			t.Fatal(err)
		}
		got, found := ce.extract([]byte("old"), r)
		if found != c.found || found && string(got) != c.value {
			t.Errorf("%+v: %q %v, want %q %v", c.ex, got, found, c.value, c.found)
		}
	}
}

// TestThinkDistributions draws many pauses of each distribution: they stay
// in range and their means are those asked for (within 5 %).
func TestThinkDistributions(t *testing.T) {
	t.Parallel()
	const n = 20000
	for _, c := range []struct {
		think    scenarios.Think
		mean     time.Duration
		min, max time.Duration
	}{
		{scenarios.Think{}, 0, 0, 0},
		{scenarios.Think{Dist: scenarios.ThinkConstant, A: time.Second}, time.Second, time.Second, time.Second},
		{scenarios.Think{Dist: scenarios.ThinkUniform, A: time.Second, B: 3 * time.Second}, 2 * time.Second, time.Second, 3 * time.Second},
		{scenarios.Think{Dist: scenarios.ThinkNormal, A: 2 * time.Second, B: 200 * time.Millisecond}, 2 * time.Second, 0, time.Hour},
		{scenarios.Think{Dist: scenarios.ThinkExponential, A: time.Second}, time.Second, 0, time.Hour},
	} {
		var sum float64
		for range n {
			d := drawThink(c.think)
			if d < c.min || d > c.max {
				t.Fatalf("%s drew %s, outside [%s, %s]", c.think, d, c.min, c.max)
			}
			sum += float64(d)
		}
		mean := sum / n
		if math.Abs(mean-float64(c.mean)) > 0.05*float64(c.mean) {
			t.Errorf("%s: mean %s, want %s", c.think, time.Duration(mean), c.mean)
		}
	}
	// A normal with a large deviation is cut at 0, never negative.
	for range 1000 {
		if d := drawThink(scenarios.Think{Dist: scenarios.ThinkNormal, A: 10 * time.Millisecond, B: time.Second}); d < 0 {
			t.Fatalf("negative pause %s", d)
		}
	}
}

// TestParseNumberAllocatesNothing: numeric checks compare without
// allocating.
func TestParseNumberAllocatesNothing(t *testing.T) {
	in := []byte(strconv.FormatFloat(1234.5678, 'f', -1, 64))
	allocs := testing.AllocsPerRun(1000, func() {
		if v, ok := parseNumber(in); !ok || v != 1234.5678 {
			t.Fatal(v, ok)
		}
	})
	if allocs != 0 {
		t.Errorf("parseNumber allocates %.1f times", allocs)
	}
}
