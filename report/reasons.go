package report

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/loadgate/loadgate/record"
)

// maxReasons is how many error reasons the terminal names.
const maxReasons = 6

// errorReasons names the main reasons requests failed, by kind and count,
// most first: transport kinds ("timeout: 12"), unexpected status codes
// ("status 503: 20"), failed checks ("check $.status == \"ok\": 12", a
// step's name before it when several steps have checks), extracts that
// found nothing ("extract token: 133"). At most n, and a last line saying
// how many more reasons there are. Empty when nothing failed.
func errorReasons(run *record.Run, n int) []string {
	type reason struct {
		what  string
		count int64
	}
	counts := map[string]int64{}
	add := func(what string, c int64) {
		if c > 0 {
			counts[what] += c
		}
	}
	for kind, c := range run.Overall.Errors {
		switch kind {
		case "status", "check", "extract":
			// named below, one by one
		default:
			add(kind, c)
		}
	}
	mixes := map[string]record.RequestMix{}
	for _, r := range run.Plan.Requests {
		mixes[r.Name] = r
	}
	for _, f := range run.Plan.Flows {
		for _, st := range f.Steps {
			mixes[st.Name] = st
		}
	}
	withChecks := 0
	for _, st := range run.Endpoints {
		if len(st.Checks) > 0 {
			withChecks++
		}
	}
	names := make([]string, 0, len(run.Endpoints))
	for name := range run.Endpoints {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		st := run.Endpoints[name]
		if st.Errors["status"] > 0 {
			for code, c := range st.StatusCodes {
				if v, err := strconv.Atoi(code); err == nil && !mixes[name].Expected(v) {
					add("status "+code, c)
				}
			}
		}
		for check, c := range st.Checks {
			what := "check " + check
			if withChecks > 1 {
				what = name + ": " + what
			}
			add(what, c.Failed)
		}
		for v, c := range st.ExtractFailures {
			add("extract "+v, c)
		}
	}
	rs := make([]reason, 0, len(counts))
	for what, c := range counts {
		rs = append(rs, reason{what, c})
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].count != rs[j].count {
			return rs[i].count > rs[j].count
		}
		return rs[i].what < rs[j].what
	})
	var out []string
	for i, r := range rs {
		if i == n {
			out = append(out, fmt.Sprintf("and %d more reasons", len(rs)-n))
			break
		}
		out = append(out, fmt.Sprintf("%s: %d", r.what, r.count))
	}
	return out
}
