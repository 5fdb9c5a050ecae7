package runner

import "github.com/loadgate/loadgate/record"

// flowRecording is what flows add to a recorder: check and extract counts
// per step, and per flow the iterations the run cut and the steps failures
// skipped. Like the recorder it is used by one goroutine, without a lock,
// and recording allocates nothing.
type flowRecording struct {
	set   *flowSet
	steps []stepTally // by recorder endpoint
	flows map[*compiledFlow]*flowTally
	// checks are the run's passed and failed checks (measured window).
	checks [2]int64
}

// stepTally counts one step's checks (passed, failed, failed on a body
// that is not JSON) and extract failures by index.
type stepTally struct {
	checks   [][3]int64
	extracts []int64
}

type flowTally struct {
	skipped, cut int64
	checks       [2]int64
}

func newFlowRecording(set *flowSet) *flowRecording {
	fr := &flowRecording{set: set, steps: make([]stepTally, len(set.names)), flows: map[*compiledFlow]*flowTally{}}
	for _, f := range set.flows {
		fr.flows[f] = &flowTally{}
		for _, st := range f.steps {
			fr.steps[st.endpoint] = stepTally{checks: make([][3]int64, len(st.checks)), extracts: make([]int64, len(st.extracts))}
		}
	}
	return fr
}

// record takes one flow event: a step's result (recorder.take, then its
// checks and extracts), or an iteration's end.
func (fr *flowRecording) record(r *recorder, ev *flowEvent) {
	if ev.iter {
		fr.iteration(r, ev)
		return
	}
	r.take(ev.endpoint, r.endpoints[ev.endpoint], &ev.res)
	if ev.res.intended < r.warmup {
		return
	}

	t := &fr.steps[ev.endpoint]
	ft := fr.flows[ev.flow]
	for i := range t.checks {
		if ev.checksRun&(1<<i) == 0 {
			continue
		}
		o := 0
		if ev.checksFailed&(1<<i) != 0 {
			o = 1
		}
		t.checks[i][o]++
		if ev.checksNotJSON&(1<<i) != 0 {
			t.checks[i][2]++
		}
		ft.checks[o]++
		fr.checks[o]++
	}
	if ev.extractFailed >= 0 {
		t.extracts[ev.extractFailed]++
	}
}

// iteration records the end of an iteration into its flow's series
// (never the whole run's: an iteration is not a request).
func (fr *flowRecording) iteration(r *recorder, ev *flowEvent) {
	res := &ev.res
	if res.intended < r.warmup {
		return
	}
	ft := fr.flows[ev.flow]
	if ev.cut {
		ft.cut++
		return
	}
	ft.skipped += int64(ev.skipped)
	c, s := r.clamp(res.corrected()), r.clamp(res.service())
	r.endpoints[ev.endpoint].observe(res, c, s)
	if r.abort != nil {
		r.abort.observeOwn(ev.endpoint, res, c, s)
	}
}

// stats fills in run.json's endpoints (requests and steps) and flows.
// draws is the target rate of draws from the mix (requests and iterations
// per second; 0 in the closed model).
func (fr *flowRecording) stats(r *recorder, measured, draws float64) (map[string]record.Stats, map[string]record.FlowStats) {
	endpoints := map[string]record.Stats{}
	flows := map[string]record.FlowStats{}
	total := 0.0
	for _, f := range fr.set.flows {
		total += f.weight
	}
	for _, f := range fr.set.flows {
		share := draws * f.weight / total
		var fs record.FlowStats
		for _, st := range f.steps {
			s := r.endpoints[st.endpoint].stats(measured, share)
			t := &fr.steps[st.endpoint]
			for i := range st.checks {
				c := record.CheckCount{Passed: t.checks[i][0], Failed: t.checks[i][1], NotJSON: t.checks[i][2]}
				if s.Checks == nil {
					s.Checks = map[string]record.CheckCount{}
				}
				s.Checks[st.checks[i].label] = c
				s.ChecksPassed += c.Passed
				s.ChecksFailed += c.Failed
			}
			for i := range st.extracts {
				if s.ExtractFailures == nil {
					s.ExtractFailures = map[string]int64{}
				}
				s.ExtractFailures[st.extracts[i].name] = t.extracts[i]
			}
			endpoints[st.name] = s
			fs.Steps = append(fs.Steps, st.name)
		}
		if f.request {
			continue
		}
		ft := fr.flows[f]
		fs.Iteration = r.endpoints[f.iteration].stats(measured, share)
		fs.Iteration.ChecksPassed, fs.Iteration.ChecksFailed = ft.checks[0], ft.checks[1]
		fs.SkippedSteps, fs.Cut = ft.skipped, ft.cut
		flows[f.name] = fs
	}
	return endpoints, flows
}
