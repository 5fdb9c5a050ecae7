package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"

	"github.com/loadgate/loadgate/redact"
)

// PlanHash identifies the whole plan this scenario runs: "sha256:" and the
// hex digest of the scenario as resolved (name, target URL, load with its
// overrides, data, setup, requests, gates, metrics) before it was divided
// into shards, so that every shard of one plan has the same hash and `loadgate
// merge` can refuse shards of different plans. Header values and URL
// passwords are left out: they are credentials, which a digest in run.json
// should not pin (known text and one password let it be guessed offline),
// and each machine may have its own.
func (s *Scenario) PlanHash() string {
	if s.planHash != "" {
		return s.planHash
	}
	return s.hashPlan()
}

func (s *Scenario) hashPlan() string {
	c := *s
	c.Shard, c.Source = Shard{}, ""
	if s.gatesOverridden {
		// The plan is the scenario's: shards judged by other gates
		// (--gate) are still shards of one plan, which merge refuses
		// to judge together for their gates, not for their plan.
		c.Gates = s.ownGates
	}
	c.Target.Headers = keysOnly(s.Target.Headers)
	c.Target.BaseURL, c.Metrics.URL = redact.URL(s.Target.BaseURL), redact.URL(s.Metrics.URL)
	c.Setup = withoutHeaderValues(s.Setup)
	c.Requests = withoutHeaderValues(s.Requests)
	c.Flows = flowsWithoutHeaderValues(s.Flows)
	data, err := json.Marshal(&c)
	if err != nil {
		// Only a field type JSON cannot encode gets here; the hash then
		// still separates plans by everything else the message names.
		data = []byte(err.Error())
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func keysOnly(h map[string]string) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k := range h {
		out[k] = ""
	}
	return out
}

func withoutHeaderValues(reqs []Request) []Request {
	out := make([]Request, len(reqs))
	for i, r := range reqs {
		r.Headers = keysOnly(maps.Clone(r.Headers))
		out[i] = r
	}
	return out
}

func flowsWithoutHeaderValues(flows []Flow) []Flow {
	out := make([]Flow, len(flows))
	for i, f := range flows {
		f.Steps = append([]FlowStep(nil), f.Steps...)
		for j := range f.Steps {
			f.Steps[j].Headers = keysOnly(f.Steps[j].Headers)
		}
		out[i] = f
	}
	return out
}
