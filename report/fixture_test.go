package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/record"
)

// fixture describes a synthetic run directory with known histograms.
type fixture struct {
	Seconds int     // measured seconds (after a 2 s warm-up)
	Rate    int     // requests per second, split 60/40 between search and chat
	Scale   float64 // latency multiplier (1 = baseline)
	Seed    uint64
	Gates   []string
	// ErrorEvery makes every n-th chat request a 500, answered 40 times
	// faster than a success (0: none).
	ErrorEvery int
	// Unsplit writes run.json and latency.hlog as loadgate did before
	// latencies were split by outcome: all requests only.
	Unsplit bool
	NoCache bool // no cache hit rate reported
	Stages  []record.Stage
	// Slow, when set, adds extra latency (µs) to the overall and search
	// series in the seconds it returns true for (a spike).
	Slow func(sec int) float64
	// RSS returns the target's resident memory at second sec (0: none).
	RSS func(sec int) float64
	// ServerTiming adds a db and cache Server-Timing split to the timeline.
	ServerTiming bool
	// Profile is the target's profile in run.json; default "optimized".
	Profile string
	// DBQueryMs, when set, is the target's DB query P95 in milliseconds
	// (times Scale), with pool waits, in run.json and the timeline.
	DBQueryMs float64
	// Endpoints name the two endpoints (60 % and 40 % of the requests);
	// default search and chat.
	Endpoints [2]string
	// More spreads the first endpoint's requests over it and More other
	// endpoints, "more1" … (slower by their number), for pages of many
	// endpoints.
	More int
	// OldFormat writes run.json and timeline.json as loadgate did before
	// named series: the reference target's figures in fixed fields.
	OldFormat bool
}

var fixtureStart = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// writeFixture writes run.json, timeline.json and latency.hlog for fx into
// dir and returns the run.
func writeFixture(t testing.TB, dir string, fx fixture) *record.Run {
	t.Helper()
	if fx.Scale == 0 {
		fx.Scale = 1
	}
	if fx.Rate == 0 {
		fx.Rate = 50
	}
	if fx.Profile == "" {
		fx.Profile = "optimized"
	}
	if fx.Endpoints == [2]string{} {
		fx.Endpoints = [2]string{"search", "chat"}
	}
	search, chat := fx.Endpoints[0], fx.Endpoints[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const warmup = 2
	rng := rand.New(rand.NewPCG(fx.Seed, 7))
	names := []string{search, chat}
	newH := func() *hdr.Histogram { return hdr.New(1, 60_000_000, 3) }
	total := map[string]*hdr.Histogram{}
	rec := func(m map[string]*hdr.Histogram, tag string, us int64) {
		if m[tag] == nil {
			m[tag] = newH()
		}
		_ = m[tag].RecordValue(us)
	}
	requests := map[string]int64{}
	errs := map[string]int64{}
	var hlog bytes.Buffer
	w := hdr.NewHistogramLogWriter(&hlog)
	base := fixtureStart.UnixMilli()
	w.SetBaseTime(base)
	for _, err := range []error{w.OutputLogFormatVersion(), w.OutputStartTime(base), w.OutputBaseTime(base), w.OutputLegend()} {
		if err != nil {
			t.Fatal(err)
		}
	}
	chats := 0
	tl := record.Timeline{Schema: record.Schema, IntervalS: 1}
	for s := 0; s < warmup; s++ {
		tl.Points = append(tl.Points, record.Point{T: float64(s), TargetRate: float64(fx.Rate), AchievedRate: float64(fx.Rate), Requests: int64(fx.Rate), Warmup: true})
	}
	for s := 0; s < fx.Seconds; s++ {
		iv := map[string]*hdr.Histogram{"": newH(), search: newH(), chat: newH()}
		p := record.Point{T: float64(warmup + s), TargetRate: float64(fx.Rate), AchievedRate: float64(fx.Rate), StatusCodes: map[string]int64{}, ErrorKinds: map[string]int64{}}
		for i := 0; i < fx.Rate; i++ {
			name := names[0]
			median := 20_000.0 // µs
			if i%5 >= 3 {
				name, median = names[1], 80_000
			}
			if k := i % (fx.More + 1); name == search && k > 0 {
				name, median = fmt.Sprintf("more%d", k), median*float64(1+k)
			}
			v := median * math.Exp(rng.NormFloat64()*0.5) * fx.Scale
			if fx.Slow != nil && name == search {
				v += fx.Slow(s)
			}
			if name == chat {
				chats++
			}
			failed := name == chat && fx.ErrorEvery > 0 && chats%fx.ErrorEvery == 0
			if failed {
				v /= 40
			}
			us := int64(max(v, 1))
			tags := []string{"", name}
			if pop := record.OK; !fx.Unsplit {
				if failed {
					pop = record.Failed
				}
				tags = append(tags, record.Tag("", pop), record.Tag(name, pop))
			}
			for _, tag := range tags {
				rec(iv, tag, us)
				rec(total, tag, us)
				requests[tag]++
			}
			p.Requests++
			code := "200"
			if failed {
				code = "500"
				errs[""]++
				errs[chat]++
				p.Errors++
				p.ErrorKinds["status"]++
			}
			p.StatusCodes[code]++
		}
		p.Server = map[string]float64{}
		if !fx.NoCache {
			p.Server["cache_hit_rate"] = 0.7
		}
		if fx.RSS != nil {
			p.Server["rss_bytes"] = fx.RSS(s)
		}
		p.Server["goroutines"] = 40
		p.Server["db_pool_acquired"] = 3
		p.Server["db_pool_max"] = 10
		if fx.DBQueryMs > 0 {
			p.Server["db_p95"] = fx.DBQueryMs * fx.Scale / 1000
			p.Server["db_pool_wait"] = 0.02 * fx.Scale
			p.Server["db_pool_empty_acquires"] = 2
		}
		if fx.ServerTiming {
			p.Server["server_timing_db"] = 4.5
			p.Server["server_timing_cache"] = 0.8
		}
		tl.Points = append(tl.Points, p)
		startMs := base + int64(warmup+s)*1000
		tags := make([]string, 0, len(iv))
		for tag := range iv {
			tags = append(tags, tag)
		}
		sort.Strings(tags) // "" first
		for _, tag := range tags {
			h := iv[tag]
			if tag != "" && h.TotalCount() == 0 {
				continue
			}
			h.SetTag(tag)
			h.SetStartTimeMs(startMs)
			h.SetEndTimeMs(startMs + 1000)
			if err := w.OutputIntervalHistogram(h); err != nil {
				t.Fatal(err)
			}
		}
	}
	stats := func(tag string) record.Stats {
		h := total[tag]
		n := requests[tag]
		st := record.Stats{
			Requests: n, Successes: n - errs[tag],
			Rate:        record.Rate{Target: float64(n) / float64(fx.Seconds), Achieved: float64(n) / float64(fx.Seconds)},
			StatusCodes: map[string]int64{"200": n - errs[tag]},
			Errors:      map[string]int64{},
		}
		if errs[tag] > 0 {
			st.StatusCodes["500"] = errs[tag]
			st.Errors["status"] = errs[tag]
		}
		if n > 0 {
			st.ErrorRate = float64(errs[tag]) / float64(n)
		}
		latency := func(h *hdr.Histogram) (l, service record.Latency) {
			l = record.Latency{
				Min: float64(h.Min()), Mean: h.Mean(), P50: float64(h.ValueAtPercentile(50)), P90: float64(h.ValueAtPercentile(90)),
				P95: float64(h.ValueAtPercentile(95)), P99: float64(h.ValueAtPercentile(99)), P999: float64(h.ValueAtPercentile(99.9)), Max: float64(h.Max()),
			}
			service = l
			service.P95 = l.P95 * 0.9
			return l, service
		}
		st.LatencyUS, st.ServiceTimeUS = latency(h)
		if h := total[record.Tag(tag, record.OK)]; h != nil {
			l, s := latency(h)
			st.LatencyOKUS, st.ServiceTimeOKUS = &l, &s
		}
		if h := total[record.Tag(tag, record.Failed)]; h != nil {
			l, s := latency(h)
			st.LatencyFailedUS, st.ServiceTimeFailedUS = &l, &s
		}
		return st
	}
	stages := fx.Stages
	if stages == nil {
		stages = []record.Stage{{StartS: 0, DurationS: float64(warmup + fx.Seconds), From: float64(fx.Rate), To: float64(fx.Rate)}}
	}
	run := &record.Run{
		Schema: record.Schema, ID: filepath.Base(dir), Scenario: "steady", Status: record.StatusCompleted,
		Target: "http://127.0.0.1:8080", Profile: fx.Profile,
		Started: fixtureStart, Ended: fixtureStart.Add(time.Duration(warmup+fx.Seconds) * time.Second),
		WarmupS: warmup, Commit: "abc1234", Host: "ci", Version: "test",
		Plan: record.Plan{Model: "open", Stages: stages, Gates: fx.Gates, Requests: []record.RequestMix{
			{Name: search, Method: "GET", Path: "/api/search?q=apple", Weight: 3},
			{Name: chat, Method: "POST", Path: "/api/chat", Weight: 2},
		}},
		Overall:   stats(""),
		Endpoints: map[string]record.Stats{search: stats(search), chat: stats(chat)},
		Server:    record.Server{MetricsURL: "http://127.0.0.1:8080/metrics", Scrapes: fx.Seconds},
	}
	for k := 1; k <= fx.More; k++ {
		name := fmt.Sprintf("more%d", k)
		run.Endpoints[name] = stats(name)
		run.Plan.Requests = append(run.Plan.Requests, record.RequestMix{Name: name, Method: "GET", Path: "/api/" + name, Weight: 1})
	}
	// The reference target's series, as the built-in scenarios declare them.
	series, charts := record.OldSeries()
	run.Plan.Series, run.Plan.Charts = append(record.HarnessSeries(), series...), charts
	srv := &run.Server
	srv.Series, srv.SeriesNotes = map[string]float64{"goroutines": 40, "db_pool_acquired": 3, "db_pool_max": 10}, map[string]string{}
	if !fx.NoCache {
		srv.Series["cache_hit_rate"] = 0.7
	} else {
		srv.SeriesNotes["cache_hit_rate"] = `the target exposed no series of loadgate_cache_requests_total matching increase(loadgate_cache_requests_total{result="hit"}) during the measured window`
	}
	if fx.RSS != nil {
		srv.Series[record.HarnessRSS] = fx.RSS(fx.Seconds - 1)
	}
	if fx.DBQueryMs > 0 {
		sec := fx.DBQueryMs * fx.Scale / 1000
		for k, v := range map[string]float64{"db_queries": float64(3 * fx.Rate * fx.Seconds), "db_p50": 0.25 * sec, "db_p95": sec, "db_p99": 1.5 * sec,
			"db_mean": 0.4 * sec, "db_pool_wait": 0.02 * fx.Scale * float64(fx.Seconds), "db_pool_empty_acquires": float64(2 * fx.Seconds)} {
			srv.Series[k] = v
		}
	}
	if fx.OldFormat {
		writeOldFormat(t, dir, run, &tl)
	} else {
		if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
			t.Fatal(err)
		}
		if err := record.WriteJSON(filepath.Join(dir, record.TimelineFile), tl); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, record.HlogFile), hlog.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return run
}

func TestLoadRunReadsFixture(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	run := writeFixture(t, dir, fixture{Seconds: 10, Rate: 50, Seed: 1})
	d, err := loadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Tags(); len(got) != 2 || got[0] != "chat" || got[1] != "search" {
		t.Fatalf("tags %v, want [chat search]", got)
	}
	all := d.Series[""]
	if len(all.Intervals) != 10 {
		t.Fatalf("%d overall intervals, want 10", len(all.Intervals))
	}
	if all.Intervals[0].T != 2 || all.Intervals[9].T != 11 {
		t.Errorf("interval times %g..%g, want 2..11 (after the warm-up)", all.Intervals[0].T, all.Intervals[9].T)
	}
	if all.Total.TotalCount() != run.Overall.Requests {
		t.Errorf("total count %d, want %d", all.Total.TotalCount(), run.Overall.Requests)
	}
	if p95 := float64(all.Total.ValueAtPercentile(95)); p95 != run.Overall.LatencyUS.P95 {
		t.Errorf("merged P95 %g, want %g", p95, run.Overall.LatencyUS.P95)
	}
	if n := d.Series["search"].Total.TotalCount(); n != run.Endpoints["search"].Requests {
		t.Errorf("search count %d, want %d", n, run.Endpoints["search"].Requests)
	}
}

// writeOldFormat writes run and tl as loadgate wrote them before named
// series: the server summary's fixed fields in place of plan.series,
// plan.charts and server.series, the timeline's old keys.
func writeOldFormat(t testing.TB, dir string, run *record.Run, tl *record.Timeline) {
	t.Helper()
	data, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	plan, srv := doc["plan"].(map[string]any), doc["server"].(map[string]any)
	delete(plan, "series")
	delete(plan, "charts")
	delete(srv, "series_notes")
	old := map[string]string{"cache_hit_rate": "cache_hit_rate", "rss_bytes": "rss_bytes_max", "goroutines": "goroutines_max",
		"db_queries": "db_queries", "db_mean": "db_query_mean_seconds", "db_p50": "db_query_p50_seconds", "db_p95": "db_query_p95_seconds",
		"db_p99": "db_query_p99_seconds", "db_pool_wait": "db_pool_wait_seconds", "db_pool_empty_acquires": "db_pool_empty_acquires"}
	for name, v := range run.Server.Series {
		if field, ok := old[name]; ok {
			srv[field] = v
		}
	}
	delete(srv, "series")
	data, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, record.RunFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	oldTL := *tl
	oldTL.Points = nil
	for _, p := range tl.Points {
		q := p
		q.Server = maps.Clone(p.Server)
		if v, ok := q.Server["db_p95"]; ok {
			delete(q.Server, "db_p95")
			q.Server["db_query_p95_ms"] = v * 1000
		}
		if v, ok := q.Server["db_pool_wait"]; ok {
			delete(q.Server, "db_pool_wait")
			q.Server["db_pool_wait_ms"] = v * 1000
		}
		oldTL.Points = append(oldTL.Points, q)
	}
	if err := record.WriteJSON(filepath.Join(dir, record.TimelineFile), &oldTL); err != nil {
		t.Fatal(err)
	}
}
