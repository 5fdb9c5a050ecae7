package record

import (
	"fmt"
	"strings"
	"time"
)

// maxStartSpread is how far apart shards may start before the merge warns
// that their intervals, added second by second, were not the same seconds.
const maxStartSpread = time.Second

// mergeRuns adds the shards' run.json figures; latencies come from the sums,
// the target's series from the merged timeline's chain of scrapes.
func mergeRuns(set *shardSet, id string, latency, service sums, tl *Timeline) *Run {
	first := set.shards[0].run
	m := &Run{
		Schema:      Schema,
		ID:          id,
		Scenario:    first.Scenario,
		Description: first.Description,
		Status:      StatusCompleted,
		Target:      first.Target,
		Profile:     first.Profile,
		Started:     first.Started,
		Ended:       first.Ended,
		WarmupS:     first.WarmupS,
		Commit:      first.Commit,
		Host:        first.Host,
		Version:     first.Version,
		StartAt:     first.StartAt,
		PlanHash:    first.PlanHash,
		Plan:        first.Plan,
		Server:      set.shards[set.scraper].run.Server,
		Endpoints:   map[string]Stats{},
		Gates:       []Gate{},
		Merged: &Merged{
			Shards: len(set.shards), Of: set.count, Partial: set.partial, Missing: set.missing,
			Starts: []ShardStart{}, Gates: set.gates,
		},
	}
	m.Plan.Stages = append([]Stage(nil), first.Plan.Stages...)
	for i := range m.Plan.Stages {
		m.Plan.Stages[i].From, m.Plan.Stages[i].To = 0, 0
	}
	if set.partial {
		m.Warnings = append(m.Warnings, fmt.Sprintf("partial merge (--partial): %d of %d shards merged; the plan's load was not all sent", len(set.shards), set.count))
		m.Warnings = append(m.Warnings, set.notes...)
	}
	if host := m.Host; host != "" {
		for _, sh := range set.shards {
			if sh.run.Host != host {
				m.Host = "" // several machines: no one host to name
			}
		}
	}
	earliest, latest := first.Started, first.Started
	for _, sh := range set.shards {
		r := sh.run
		m.Merged.Starts = append(m.Merged.Starts, ShardStart{Index: r.ShardIndex, Run: r.ID, Started: r.Started, Status: r.Status})
		earliest, latest = minTime(earliest, r.Started), maxTime(latest, r.Started)
		m.Started, m.Ended = minTime(m.Started, r.Started), maxTime(m.Ended, r.Ended)
		if r.StartAt == nil || m.StartAt == nil || !r.StartAt.Equal(*m.StartAt) {
			m.StartAt = nil // no common start requested
		}
		if statusRank(r.Status) > statusRank(m.Status) {
			m.Status = r.Status
		}
		for i, st := range r.Plan.Stages {
			m.Plan.Stages[i].Add(st)
		}
		m.Overall.Add(r.Overall)
		if g := r.Generator; g != nil {
			if m.Generator == nil {
				m.Generator = &Generator{}
			}
			m.Generator.Add(*g)
		}
		for name, st := range r.Endpoints {
			acc := m.Endpoints[name]
			acc.Add(st)
			m.Endpoints[name] = acc
		}
		for name, fs := range r.Flows {
			if m.Flows == nil {
				m.Flows = map[string]FlowStats{}
			}
			acc := m.Flows[name]
			acc.Add(fs)
			m.Flows[name] = acc
		}
		if r != set.shards[set.scraper].run {
			m.Server.Scrapes += r.Server.Scrapes
			m.Server.ScrapeErrors += r.Server.ScrapeErrors
		}
		for _, w := range r.Warnings {
			m.Warnings = append(m.Warnings, fmt.Sprintf("shard %d/%d: %s", r.ShardIndex, r.ShardCount, w))
		}
		for _, e := range r.Expected {
			m.Expected = append(m.Expected, fmt.Sprintf("shard %d/%d: %s", r.ShardIndex, r.ShardCount, e))
		}
	}
	if len(tl.Scrapes) > 0 {
		m.Server.Series, m.Server.SeriesNotes = MeasureWindow(m.Plan.Series, m.Plan.Queries, tl.Scrapes, m.WarmupS)
		m.Server.Restarts = RestartsOf(tl.Scrapes)
	}
	m.Merged.StartSpreadS = latest.Sub(earliest).Seconds()
	if spread := latest.Sub(earliest); spread > maxStartSpread {
		m.Warnings = append(m.Warnings, fmt.Sprintf("the shards started up to %s apart, so their seconds do not line up in the timeline and the latency log (--start-at gives them a common start)", spread.Round(time.Millisecond)))
	}
	finish := func(st *Stats, name string) {
		if h, ok := latency[name]; ok {
			st.LatencyUS = latencySummary(h)
		}
		if h, ok := service[name]; ok {
			st.ServiceTimeUS = latencySummary(h)
		}
		st.LatencyOKUS, st.ServiceTimeOKUS = populationOf(st, name, OK, latency, service)
		st.LatencyFailedUS, st.ServiceTimeFailedUS = populationOf(st, name, Failed, latency, service)
		if st.Requests > 0 {
			st.ErrorRate = float64(st.Requests-st.Successes) / float64(st.Requests)
		}
	}
	finish(&m.Overall, "")
	for name, st := range m.Endpoints {
		finish(&st, name)
		m.Endpoints[name] = st
	}
	for name, fs := range m.Flows {
		finish(&fs.Iteration, name+".iteration")
		m.Flows[name] = fs
	}
	return m
}

// populationOf summarises the merged latency and service time of the
// series name's population p, when the sums hold exactly that population's
// requests: a shard whose logs were written before they were split by
// outcome has no such tags, and a summary of the others alone would pass
// for all of them.
func populationOf(st *Stats, name string, p Population, latency, service sums) (lat, svc *Latency) {
	tag := Tag(name, p)
	n := st.Count(p)
	l, s := latency[tag], service[tag]
	if n <= 0 || l == nil || s == nil || l.TotalCount() != n || s.TotalCount() != n {
		return nil, nil
	}
	return latencyOf(l), latencyOf(s)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func statusRank(s string) int {
	switch s {
	case StatusCompleted:
		return 0
	case StatusAborted:
		return 1
	}
	return 2
}

// mergeTimelines adds the shards' timelines second by second, reading one
// shard's at a time. The target's series are measured again from one chain
// of every shard's scrapes (chainScrapes), the Server-Timing split added
// from all. Shards written before timelines held their scrapes give
// their figures from the shard that scraped most (set.scraper).
func mergeTimelines(set *shardSet) (*Timeline, error) {
	m := &Timeline{Schema: Schema}
	var scrapes [][]Scrape
	for si, sh := range set.shards {
		tl, err := ReadTimeline(sh.dir)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		if si == 0 {
			m.IntervalS = tl.IntervalS
		}
		scrapes = append(scrapes, tl.Scrapes)
		for i, p := range tl.Points {
			if i >= len(m.Points) {
				m.Points = append(m.Points, Point{T: p.T, Warmup: p.Warmup})
			}
			q := &m.Points[i]
			q.Add(p)
			if p.Server == nil {
				continue
			}
			if q.Server == nil {
				q.Server = map[string]float64{}
			}
			if si == set.scraper && len(tl.Scrapes) == 0 {
				for k, v := range p.Server {
					if !strings.HasPrefix(k, ServerTimingPrefix) && !strings.HasPrefix(k, ServerTimingCountPrefix) {
						q.Server[k] = v
					}
				}
			}
			// Every shard measured its own responses' Server-Timing.
			mergeServerTiming(q.Server, p.Server)
		}
	}
	m.Scrapes = chainScrapes(scrapes)
	FillPoints(m.Points, m.Scrapes, set.shards[0].run.Plan.Series)
	for i := range m.Points {
		if len(m.Points[i].Server) == 0 {
			m.Points[i].Server = nil
		}
	}
	return m, nil
}
