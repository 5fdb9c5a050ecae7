package runner

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/scenarios"
)

// TestPlan: run.json's plan holds the stages with their starts and the
// model's level, the request mix, the flows' steps by endpoint name and the
// faults, and masks secret header values.
func TestPlan(t *testing.T) {
	t.Parallel()
	const yaml = `name: plan
target:
  base_url: http://127.0.0.1:1
  headers: {Authorization: "Bearer s3cr3t-token", Accept: application/json}
load:
  model: closed
  stages:
    - {duration: 10s, users: 0 -> 4}
    - {duration: 20s, users: 4}
requests:
  - {name: home, path: /, weight: 2, headers: {X-Api-Key: s3cr3t-key, X-Trace: visible}}
faults:
  - {at: 12s, for: 3s, action: redis_stop}
`
	sc, err := scenarios.Parse([]byte(yaml), "plan.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := Plan(sc)
	if p.Model != scenarios.ModelClosed || len(p.Stages) != 2 || p.Stages[1].StartS != 10 || p.Stages[1].DurationS != 20 ||
		p.Stages[0].From != 0 || p.Stages[0].To != 4 || p.Stages[1].From != 4 {
		t.Errorf("stages %+v", p.Stages)
	}
	if len(p.Requests) != 1 || p.Requests[0].Name != "home" || p.Requests[0].Weight != 2 {
		t.Errorf("requests %+v", p.Requests)
	}
	if len(p.Faults) != 1 || p.Faults[0].AtS != 12 || p.Faults[0].ForS != 3 || p.Faults[0].Service != "redis" {
		t.Errorf("faults %+v", p.Faults)
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "s3cr3t") || !strings.Contains(string(data), `"Authorization":"xxxxx"`) ||
		!strings.Contains(string(data), "visible") || !strings.Contains(string(data), "application/json") {
		t.Errorf("plan headers: %s", data)
	}

	flows, err := scenarios.Load("../scenarios/testdata/good/flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p = Plan(flows)
	if len(p.Flows) != 1 || len(p.Flows[0].Steps) != 3 || p.Flows[0].Steps[2].Name != "buyer.pay" || p.Flows[0].Weight != 3 {
		t.Errorf("plan flows %+v", p.Flows)
	}
}
