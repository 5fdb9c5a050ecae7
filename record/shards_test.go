package record

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// fakeShard is a shard run directory of a small synthetic plan, written as
// the runner writes one: two endpoints, a and b (b fails some requests),
// one warm-up second, then measured seconds. Its logs, timeline.json and
// run.json agree (CheckLogs), and every figure depends on the shard's
// index, so that a sum tells both shards apart.
type fakeShard struct {
	dir          string
	index, count int
	secs         int
	started      time.Time
	// latency holds the values of each tag's interval in each measured
	// second; service is the service time of each value (latency/2 + 1).
	latency map[string][][]int64
	run     *Run
	tl      *Timeline
}

// fakeT0 is when the fake shards start (shard i, i×10 ms later).
var fakeT0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

const fakeSecs = 3

// fakeHighest is the fake logs' highest trackable value (µs): the runner's
// is a minute, but the fake values stay under 10 ms, and smaller
// histograms keep the test quick.
const fakeHighest = 100_000

// writeFakeShard writes shard index of count into a new directory.
func writeFakeShard(t *testing.T, index, count int) *fakeShard {
	t.Helper()
	f := &fakeShard{dir: filepath.Join(t.TempDir(), fmt.Sprintf("shard-%d", index)), index: index, count: count, secs: fakeSecs,
		started: fakeT0.Add(time.Duration(index) * 10 * time.Millisecond), latency: map[string][][]int64{}}
	if err := os.Mkdir(f.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f.values()
	f.writeLogs(t)
	f.writeTimeline(t)
	f.writeRun(t)
	return f
}

// values fills f.latency: in second s, endpoint a answers 2+index+s requests
// well, b as many and fails index more, fast.
func (f *fakeShard) values() {
	put := func(ep string, p Population, s int, v int64) {
		for _, tag := range []string{Tag(ep, p), Tag(ep, All), Tag("", p), ""} {
			if f.latency[tag] == nil {
				f.latency[tag] = make([][]int64, f.secs)
			}
			f.latency[tag][s] = append(f.latency[tag][s], v)
		}
	}
	for s := range f.secs {
		for k := range 2 + f.index + s {
			v := int64(1000*f.index + 100*s + 10*k)
			put("a", OK, s, v)
			put("b", OK, s, v+5000)
		}
		for k := range f.index {
			put("b", Failed, s, int64(200+7*f.index+s+k))
		}
	}
}

func serviceOf(v int64) int64 { return v/2 + 1 }

// tags lists f's tags, the overall series first.
func (f *fakeShard) tags() []string {
	var tags []string
	for tag := range f.latency {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	return tags
}

func (f *fakeShard) hist(tag string, s int, of func(int64) int64) *hdr.Histogram {
	h := hdr.New(1, fakeHighest, 3)
	h.SetTag(tag)
	for _, v := range f.latency[tag][s] {
		h.RecordValue(of(v))
	}
	return h
}

func same(v int64) int64 { return v }

func (f *fakeShard) writeLogs(t *testing.T) {
	t.Helper()
	measured := f.started.Add(time.Second).UnixMilli()
	write := func(name string, body func(w *hdr.HistogramLogWriter) error) {
		file, err := os.Create(filepath.Join(f.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		buf := bufio.NewWriter(file)
		w := hdr.NewHistogramLogWriter(buf)
		if err := WriteHlogHeader(w, measured, "fake shard"); err != nil {
			t.Fatal(err)
		}
		if err := body(w); err != nil {
			t.Fatal(err)
		}
		if err := buf.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := file.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write(HlogFile, func(w *hdr.HistogramLogWriter) error {
		for s := range f.secs {
			for _, tag := range f.tags() {
				h := f.hist(tag, s, same)
				if h.TotalCount() == 0 {
					continue
				}
				h.SetStartTimeMs(measured + int64(s)*1000)
				h.SetEndTimeMs(measured + int64(s+1)*1000)
				if err := w.OutputIntervalHistogram(h); err != nil {
					return err
				}
			}
		}
		return nil
	})
	write(ServiceHlogFile, func(w *hdr.HistogramLogWriter) error {
		for _, tag := range f.tags() {
			h := f.total(tag, serviceOf)
			h.SetStartTimeMs(measured)
			h.SetEndTimeMs(measured + int64(f.secs)*1000)
			if err := w.OutputIntervalHistogram(h); err != nil {
				return err
			}
		}
		return nil
	})
}

// total is tag's histogram over the measured window.
func (f *fakeShard) total(tag string, of func(int64) int64) *hdr.Histogram {
	h := hdr.New(1, fakeHighest, 3)
	h.SetTag(tag)
	for s := range f.secs {
		h.Merge(f.hist(tag, s, of))
	}
	return h
}

// n is how many values tag holds in second s (every second when s < 0).
func (f *fakeShard) n(tag string, s int) int64 {
	var n int
	for i, vs := range f.latency[tag] {
		if s < 0 || i == s {
			n += len(vs)
		}
	}
	return int64(n)
}

func (f *fakeShard) writeTimeline(t *testing.T) {
	t.Helper()
	f.tl = &Timeline{Schema: Schema, IntervalS: 1, Points: []Point{{T: 0, Warmup: true, Requests: 1, TargetRate: 1, AchievedRate: 1}}}
	for s := range f.secs {
		req, failed := f.n("", s), f.n(Tag("", Failed), s)
		p := Point{T: float64(1 + s), TargetRate: float64(10 * f.index), AchievedRate: float64(req), Requests: req, Errors: failed, InFlight: int64(f.index),
			StatusCodes: map[string]int64{"200": req - failed},
			Server: map[string]float64{
				// The target spent index+s ms in the database on each response.
				ServerTimingPrefix + "db":      float64(f.index + s),
				ServerTimingCountPrefix + "db": float64(req),
			}}
		if failed > 0 {
			p.StatusCodes["503"] = failed
			p.ErrorKinds = map[string]int64{"status": failed}
		}
		f.tl.Points = append(f.tl.Points, p)
	}
	// A scrape every second, shard i i×10 ms later: the target counted 10
	// hits between two, and its RSS read 1000×index + s.
	for s := 0; s <= f.secs; s++ {
		sc := Scrape{AtS: float64(s) + 0.01*float64(f.index), Gauges: map[string]float64{"process_resident_memory_bytes": float64(1000*f.index + s)}}
		if s > 0 {
			since := f.tl.Scrapes[s-1].AtS
			sc.SinceS, sc.Increases = &since, map[string]float64{"hits_total": 10}
		}
		f.tl.Scrapes = append(f.tl.Scrapes, sc)
	}
	FillPoints(f.tl.Points, f.tl.Scrapes, fakeSeries())
	if err := WriteJSON(filepath.Join(f.dir, TimelineFile), f.tl); err != nil {
		t.Fatal(err)
	}
}

// stats is the series ep's figures ("" the whole run).
func (f *fakeShard) stats(ep string) Stats {
	req, ok := f.n(ep, -1), f.n(Tag(ep, OK), -1)
	failed := req - ok
	st := Stats{Requests: req, Successes: ok, ErrorRate: float64(failed) / float64(req),
		Rate:        Rate{Target: float64(10 * f.index), Achieved: float64(req) / float64(f.secs), Sent: float64(req) / float64(f.secs)},
		LatencyUS:   latencySummary(f.total(ep, same)),
		StatusCodes: map[string]int64{"200": ok}, BytesIn: 100 * req, BytesOut: 10 * req,
		ServiceTimeUS: latencySummary(f.total(ep, serviceOf)),
		LatencyOKUS:   latencyOf(f.total(Tag(ep, OK), same)), ServiceTimeOKUS: latencyOf(f.total(Tag(ep, OK), serviceOf)),
	}
	if failed > 0 {
		st.StatusCodes["503"] = failed
		st.Errors = map[string]int64{"status": failed}
		st.LatencyFailedUS, st.ServiceTimeFailedUS = latencyOf(f.total(Tag(ep, Failed), same)), latencyOf(f.total(Tag(ep, Failed), serviceOf))
	}
	return st
}

func (f *fakeShard) writeRun(t *testing.T) {
	t.Helper()
	level := float64(10 * f.index)
	f.run = &Run{Schema: Schema, ID: fmt.Sprintf("20261130-120000-fake-shard%dof%d", f.index, f.count), Scenario: "fake",
		Status: StatusCompleted, Target: "http://127.0.0.1:1", Started: f.started, Ended: f.started.Add(time.Duration(1+f.secs) * time.Second),
		WarmupS: 1, Host: "h", Shard: fmt.Sprintf("%d/%d", f.index, f.count), ShardIndex: f.index, ShardCount: f.count, PlanHash: "sha256:fake",
		Plan: Plan{Model: "open", Gates: []string{"p95 < 1s"}, Series: fakeSeries(), Stages: []Stage{
			{StartS: 0, DurationS: 1, From: 0, To: level},
			{StartS: 1, DurationS: float64(f.secs), From: level, To: level},
		}},
		Overall:   f.stats(""),
		Endpoints: map[string]Stats{"a": f.stats("a"), "b": f.stats("b")},
		Generator: &Generator{Planned: 100 * int64(f.index), Sent: 90 * int64(f.index), Completed: 80 * int64(f.index), Late: int64(f.index),
			SendLag: Latency{P50: float64(10 * f.index), P99: float64(100 * (3 - f.index))}},
		Server: Server{Scrapes: 1 + f.secs, ScrapeErrors: f.index},
		Gates:  []Gate{},
	}
	if err := WriteJSON(filepath.Join(f.dir, RunFile), f.run); err != nil {
		t.Fatal(err)
	}
	if err := CheckLogs(f.dir); err != nil {
		t.Fatalf("the fake shard's logs and run.json disagree: %v", err)
	}
}

// fakeSeries are the fake plan's named series: a counter's increase and
// the harness's RSS.
func fakeSeries() []Series {
	return append(HarnessSeries(), Series{Name: "hits", Unit: UnitCount, Expr: "increase(hits_total)", Query: SeriesQuery{Agg: AggIncrease, Metric: "hits_total"}})
}

// fakeShards writes the count shards of the fake plan and returns their
// directories.
func fakeShards(t *testing.T, count int) ([]string, []*fakeShard) {
	t.Helper()
	var dirs []string
	var shards []*fakeShard
	for i := 1; i <= count; i++ {
		f := writeFakeShard(t, i, count)
		dirs, shards = append(dirs, f.dir), append(shards, f)
	}
	return dirs, shards
}
