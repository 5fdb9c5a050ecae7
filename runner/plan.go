package runner

import (
	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// Plan is the scenario as resolved, in the form run.json records it: secret
// header values are masked (scenarios.Target.SecretHeader). It is here, not in
// scenarios, so that the scenario package knows nothing of the results
// directory.
func Plan(s *scenarios.Scenario) record.Plan {
	p := record.Plan{
		Model:   s.Load.Model,
		Gates:   s.OwnGateExprs(), // the scenario's, also under --gate (run.json judged says which judged)
		Timeout: s.Target.Timeout.D(),
		Headers: s.Target.ShownHeaders(s.Target.Headers),
		Series:  s.NamedSeries(),
		Queries: gate.SeriesQueries(s.ParsedGates()),
		Charts:  s.Charts(),
	}
	start := 0.0
	for _, st := range s.Load.Stages {
		level := s.Load.Level(st)
		d := st.Duration.D().Seconds()
		p.Stages = append(p.Stages, record.Stage{StartS: start, DurationS: d, From: level.From, To: level.To})
		start += d
	}
	for _, r := range s.Requests {
		mode, content := scenarios.StreamsOf(r.Stream, r.StreamContent)
		p.Requests = append(p.Requests, record.RequestMix{Name: r.Name, Method: r.Method, Path: r.Path, Weight: r.Weight,
			Headers: s.Target.ShownHeaders(r.Headers), Expect: r.Expect, Stream: mode, StreamContent: content})
	}
	for _, f := range s.Flows {
		fm := record.FlowMix{Name: f.Name, Weight: f.Weight}
		for _, st := range f.Steps {
			mode, content := scenarios.StreamsOf(st.Stream, st.StreamContent)
			fm.Steps = append(fm.Steps, record.RequestMix{Name: scenarios.EndpointName(f.Name, st.Name), Method: st.Method, Path: st.Path,
				Headers: s.Target.ShownHeaders(st.Headers), Expect: st.Expect, Stream: mode, StreamContent: content})
		}
		p.Flows = append(p.Flows, fm)
	}
	for _, f := range s.Faults {
		p.Faults = append(p.Faults, record.FaultPlan{Name: f.Label(), Action: f.Action, Service: f.Target(),
			AtS: f.At.D().Seconds(), ForS: f.For.D().Seconds()})
	}
	if !s.SLO.IsZero() {
		us := func(d scenarios.Duration) float64 { return float64(d.D().Microseconds()) }
		p.SLO = &record.SLO{TTFTUS: us(s.SLO.TTFT), TPOTUS: us(s.SLO.TPOT), ITLUS: us(s.SLO.ITL), E2EUS: us(s.SLO.E2E)}
	}
	return p
}
