package report

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// planStage is one stage of the load plan, formatted.
type planStage struct {
	N                      int
	Start, Duration, Level string
}

// loadPlan is the run's load plan as the page shows it near the top.
type loadPlan struct {
	Model  string
	Stages []planStage
	// Mix is the request mix or the flows, with their shares.
	Mix []string
}

// planOf formats the run's plan: each stage ("0 → 50/s over 30s",
// "50/s"), and the mix ("search 60 %: GET /api/search").
func planOf(run *record.Run) loadPlan {
	p := loadPlan{Model: "open model: requests arrive at the planned rate, whatever the target's speed"}
	unit := "rps"
	level := func(v float64) string { return gate.Format(v, unit) }
	if run.Plan.Model == "closed" {
		p.Model = "closed model: each user sends its next request when the last one is answered"
		level = func(v float64) string { return fmt.Sprintf("%g users", v) }
	}
	for i, st := range run.Plan.Stages {
		l := level(st.From)
		if st.To != st.From {
			l += " → " + level(st.To)
		}
		p.Stages = append(p.Stages, planStage{
			N:        i + 1,
			Start:    secondsWords(st.StartS),
			Duration: secondsWords(st.DurationS),
			Level:    l,
		})
	}
	total := 0.0
	for _, r := range run.Plan.Requests {
		total += r.Weight
	}
	for _, f := range run.Plan.Flows {
		total += f.Weight
	}
	share := func(w float64) string {
		if total <= 0 {
			return ""
		}
		return fmt.Sprintf(" %.0f %%", w/total*100)
	}
	for _, r := range run.Plan.Requests {
		p.Mix = append(p.Mix, fmt.Sprintf("%s%s: %s %s", r.Name, share(r.Weight), r.Method, r.Path))
	}
	for _, f := range run.Plan.Flows {
		steps := make([]string, len(f.Steps))
		for i, s := range f.Steps {
			steps[i] = s.Name
		}
		p.Mix = append(p.Mix, fmt.Sprintf("flow %s%s: %s", f.Name, share(f.Weight), strings.Join(steps, " → ")))
	}
	return p
}

// secondsWords renders seconds as a short duration: "30s", "2m", "1m30s".
func secondsWords(s float64) string {
	w := time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond).String()
	w = strings.TrimSuffix(w, "m0s")
	if len(w) > 0 && !strings.HasSuffix(w, "s") {
		w += "m"
	}
	return strings.Replace(w, "h0m", "h", 1)
}

// measuredEnd is when the plan's last stage ends, in seconds since the
// attack began; 0 when the plan has no stages. Later seconds are the
// drain: requests still answering after the load stopped.
func measuredEnd(run *record.Run) float64 {
	end := 0.0
	for _, st := range run.Plan.Stages {
		end = math.Max(end, st.StartS+st.DurationS)
	}
	return end
}

// bytesFact says how much the run sent and received, and per second of the
// measured window: request and response bodies as on the wire (a gzip body
// compressed), without headers (docs/CONTRACT.md, "Bytes").
func bytesFact(run *record.Run) string {
	o := run.Overall
	if o.BytesIn == 0 && o.BytesOut == 0 {
		return ""
	}
	w := fmt.Sprintf("bodies as on the wire (compressed ones compressed, headers not counted): sent %s, received %s", gate.FormatBytes(float64(o.BytesOut)), gate.FormatBytes(float64(o.BytesIn)))
	if secs := measuredEnd(run) - run.WarmupS; secs > 0 {
		w += fmt.Sprintf(" (%s/s out, %s/s in)", gate.FormatBytes(float64(o.BytesOut)/secs), gate.FormatBytes(float64(o.BytesIn)/secs))
	}
	return w
}

// endpointVerdicts gives each endpoint ("" for the whole run) the worst
// verdict of the gates scoped to it: fail over unknown over pass; an
// endpoint no gate reads is absent. A gate may name one of the run's
// named series (declared), which is run-wide.
func endpointVerdicts(gates []record.Gate, declared []record.Series) map[string]string {
	rank := map[string]int{record.VerdictPass: 1, record.VerdictUnknown: 2, record.VerdictFail: 3}
	out := map[string]string{}
	for _, g := range gates {
		p, err := gate.Parse(g.Expr, declared...)
		if err != nil {
			continue
		}
		if rank[g.Verdict] > rank[out[p.Endpoint]] {
			out[p.Endpoint] = g.Verdict
		}
	}
	return out
}

// timingRow is one line of the Server-Timing breakdown.
type timingRow struct {
	Name, Mean, Responses, Share string
	// Width is the bar's share of the widest, in percent (0–100).
	Width int
}

// serverTimingRows break the target's Server-Timing down: each entry's
// mean per response that sent it, how many did, and its share of the sum
// of the means, largest first.
func serverTimingRows(st map[string]record.Timing) []timingRow {
	if len(st) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(st))
	sort.SliceStable(names, func(i, j int) bool { return st[names[i]].MeanMS > st[names[j]].MeanMS })
	sum, top := 0.0, st[names[0]].MeanMS
	for _, n := range names {
		sum += st[n].MeanMS
	}
	rows := make([]timingRow, 0, len(names))
	for _, n := range names {
		t := st[n]
		r := timingRow{Name: n, Mean: gate.FormatMicros(t.MeanMS * 1e3), Responses: fmt.Sprint(t.Count), Share: "—"}
		if sum > 0 {
			r.Share = fmt.Sprintf("%.0f %%", t.MeanMS/sum*100)
			if t.MeanMS > 0 && t.MeanMS/sum < 0.005 {
				r.Share = "< 1 %"
			}
		}
		if top > 0 {
			r.Width = int(math.Round(t.MeanMS / top * 100))
		}
		rows = append(rows, r)
	}
	return rows
}
