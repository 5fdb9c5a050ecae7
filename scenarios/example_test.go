package scenarios_test

import (
	"fmt"
	"time"

	"github.com/loadgate/loadgate/scenarios"
)

// A dry run prints the resolved plan: stages with rates, the request mix in
// percent, the expected request count and the gates.
func ExampleScenario_Describe() {
	src := `
name: checkout
target:
  base_url: ${SHOP_URL:-http://127.0.0.1:9000}
  health: /healthz
load:
  warmup: 10s
  stages:
    - {duration: 30s, rate: 0 -> 20/s}
    - {duration: 2m, rate: 20/s}
data:
  item: {range: [1, 500]}
requests:
  - {name: browse, weight: 3, path: "/items/{{item}}"}
  - {name: buy, weight: 1, method: POST, path: /cart, body: '{"item": {{item}}}'}
gates: [p95 < 500ms, error_rate < 1%]
`
	noEnv := scenarios.Options{LookupEnv: func(string) (string, bool) { return "", false }}
	sc, err := scenarios.Parse([]byte(src), "checkout.yaml", "", noEnv)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := sc.Apply(scenarios.Overrides{Duration: 75 * time.Second}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(sc.Describe())
	// Output:
	// scenario  checkout (checkout.yaml)
	// target    http://127.0.0.1:9000 (timeout 30s, checked first: /healthz answers 2xx)
	// model     open, 1m15s in total, first 10s warm-up (not measured)
	// limits    1000 requests in flight, 1000 connections
	//
	// stages
	//   #  start  duration  level      requests
	//   1  0s     15s       0 -> 20/s  150
	//   2  15s    1m0s      20/s       1200
	//
	// requests
	//   browse   75.0%  GET /items/{{item}}
	//   buy      25.0%  POST /cart
	//
	// expected  1350 requests
	//
	// gates
	//   p95 < 500ms
	//   error_rate < 1%
}

// Errors name the file, line, column and field of every problem.
func ExampleLoad_errors() {
	src := `
name: broken
target: {base_url: "http://127.0.0.1:9000"}
load:
  stages: [{duration: 1m, rate: 20/s}]
requests:
  - {name: a, weight: 0, path: "/items/{{item}}"}
`
	_, err := scenarios.Parse([]byte(src), "broken.yaml", "")
	fmt.Println(err)
	// Output:
	// broken.yaml:7:23: requests[0].weight: weight 0 must be above 0
	// broken.yaml:7:32: requests[0].path: {{item}} names no data source (known: none)
}
