package runner

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadgate/loadgate/scenarios"
)

func TestTargeterRendersTemplates(t *testing.T) {
	t.Parallel()
	sc := scenarioFor(t, "http://h:1", `load:
  stages: [{duration: 1s, rate: 1/s}]
data:
  user: {range: [7, 7]}
  food: {values: ["ice cream & jam"]}
requests:
  - name: a
    method: POST
    path: /u/{{food}}/x?q={{food}}&u={{user}}
    body: '{"user": {{user}}, "food": "{{food}}"}'
    headers: {X-Trace: "1"}
`)
	tr, err := newTargeter(sc, sc.Requests)
	if err != nil {
		t.Fatal(err)
	}
	var tgt vegeta.Target
	if err := tr.target(&tgt); err != nil {
		t.Fatal(err)
	}
	if want := "http://h:1/u/ice%20cream%20&%20jam/x?q=ice+cream+%26+jam&u=7#0"; tgt.URL != want {
		t.Errorf("url %q, want %q", tgt.URL, want)
	}
	if want := `{"user": 7, "food": "ice cream & jam"}`; string(tgt.Body) != want {
		t.Errorf("body %q", tgt.Body)
	}
	if tgt.Method != http.MethodPost || tgt.Header.Get("X-Trace") != "1" {
		t.Errorf("method %q header %v", tgt.Method, tgt.Header)
	}
	req, err := tgt.Request()
	if err != nil {
		t.Fatal(err)
	}
	if req.URL.Fragment != "0" || strings.Contains(req.URL.RequestURI(), "#") {
		t.Errorf("the endpoint tag must stay in the fragment, never sent: %q", req.URL.RequestURI())
	}
	if endpointOf(tgt.URL) != 0 || endpointOf("http://h/x") != -1 || endpointOf("http://h/#12") != 12 {
		t.Error("endpointOf")
	}
}

func TestTargeterWeights(t *testing.T) {
	t.Parallel()
	sc := scenarioFor(t, "http://h:1", `load:
  stages: [{duration: 1s, rate: 1/s}]
requests:
  - {name: a, path: /a, weight: 3}
  - {name: b, path: /b, weight: 1}
`)
	tr, err := newTargeter(sc, sc.Requests)
	if err != nil {
		t.Fatal(err)
	}
	counts := [2]int{}
	for range 40000 {
		counts[tr.pick()]++
	}
	// 30000 expected for a; 5 standard deviations is about 430.
	if counts[0] < 29500 || counts[0] > 30500 {
		t.Errorf("weights 3:1 picked %v", counts)
	}
}

func TestUniqueDataShardsAndExhaustion(t *testing.T) {
	t.Parallel()
	yaml := `load:
  stages: [{duration: 1s, rate: 1/s}]
data:
  id: {range: [1, 10], pick: unique}
requests: [{name: a, path: "/{{id}}"}]
`
	seen := map[string]int{}
	for shard := 1; shard <= 3; shard++ {
		sc := scenarioFor(t, "http://h:1", yaml)
		if err := sc.Apply(scenarios.Overrides{Shard: scenarios.Shard{Index: shard, Count: 3}}); err != nil {
			t.Fatal(err)
		}
		tr, err := newTargeter(sc, sc.Requests)
		if err != nil {
			t.Fatal(err)
		}
		var tgt vegeta.Target
		for {
			err := tr.target(&tgt)
			if errors.Is(err, ErrDataExhausted) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			seen[strings.TrimSuffix(strings.TrimPrefix(tgt.URL, "http://h:1/"), "#0")]++
		}
	}
	if len(seen) != 10 {
		t.Errorf("3 shards drew %d distinct ids of 10: %v", len(seen), seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("id %s drawn %d times across shards", id, n)
		}
	}
}

func TestSequentialPick(t *testing.T) {
	t.Parallel()
	sc := scenarioFor(t, "http://h:1", `load:
  stages: [{duration: 1s, rate: 1/s}]
data:
  c: {values: [x, y], pick: sequential}
requests: [{name: a, path: "/{{c}}"}]
`)
	tr, err := newTargeter(sc, sc.Requests)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var tgt vegeta.Target
	for range 5 {
		if err := tr.target(&tgt); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.TrimSuffix(strings.TrimPrefix(tgt.URL, "http://h:1/"), "#0"))
	}
	if strings.Join(got, "") != "xyxyx" {
		t.Errorf("sequential picks %v", got)
	}
}

func TestZipfPickIsSkewed(t *testing.T) {
	t.Parallel()
	src := &source{name: "x", size: 50_000, pick: scenarios.PickZipf, shardCount: 1}
	low := 0
	for range 100_000 {
		i, err := src.index()
		if err != nil || i < 0 || i >= src.size {
			t.Fatalf("index %d, %v", i, err)
		}
		if i < 500 {
			low++
		}
	}
	// ln(501)/ln(50001) = 0.575 of the draws fall in the first 1%.
	if low < 55_000 || low > 60_000 {
		t.Errorf("%d of 100000 draws in the first 1%%, want about 57500", low)
	}
}

// TestBuiltinsBuildTargets builds requests of every built-in scenario: each
// is a valid HTTP request whose endpoint the recorder recovers.
func TestBuiltinsBuildTargets(t *testing.T) {
	t.Parallel()
	for _, name := range scenarios.Names() {
		sc, err := scenarios.Builtin(name, scenarios.Options{WritesChecked: true}) // resilience gates on writes_lost
		if err != nil {
			t.Fatal(err)
		}
		tr, err := newTargeter(sc, sc.Requests)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range sc.Requests {
			var tgt vegeta.Target
			if err := tr.build(i, &tgt); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			req, err := tgt.Request()
			if err != nil {
				t.Fatalf("%s %s: %v", name, sc.Requests[i].Name, err)
			}
			if endpointOf(tgt.URL) != i || strings.Contains(req.URL.Path, "{{") || req.Header.Get("X-API-Key") == "" {
				t.Errorf("%s %s: %s %s", name, sc.Requests[i].Name, req.Method, req.URL)
			}
		}
	}
}
