package runner

import (
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadgate/loadgate/scenarios"
)

// benchRecorder is a recorder of two endpoints on an open-model schedule
// of 1000/s, logging to io.Discard.
func benchRecorder(tb testing.TB) (*recorder, *schedule) {
	tb.Helper()
	origin := time.Now()
	sched := newSchedule([]stageLevel{{dur: time.Hour, from: 1000, to: 1000}})
	rec, err := newRecorder(recorderConfig{
		names:   []string{"a", "b"},
		expects: [][]int{nil, {200}},
		highest: 30*time.Second + time.Hour,
		origin:  origin,
		hlog:    io.Discard,
	})
	if err != nil {
		tb.Fatal(err)
	}
	rec.began = func() *time.Time { return &origin }
	rec.due = sched.due
	return rec, sched
}

func benchResults(origin time.Time) []vegeta.Result {
	hdrs := http.Header{"Content-Length": {"2"}}
	res := make([]vegeta.Result, 1024)
	for i := range res {
		res[i] = vegeta.Result{
			Seq:       uint64(i),
			Code:      200,
			Timestamp: origin.Add(time.Duration(i) * time.Millisecond),
			Latency:   time.Duration(300+i%700) * time.Microsecond,
			URL:       "http://127.0.0.1:8080/a/1#" + string(rune('0'+i%2)),
			Headers:   hdrs,
		}
	}
	res[7].Code, res[7].Error = 0, "dial tcp 127.0.0.1:8080: connect: connection refused"
	res[9].Code = 503
	return res
}

// warm records each result once: an endpoint's histograms, its codes and
// its live row are made on its first results, and a sparse histogram grows
// with the latencies it sees, until it turns dense.
func warm(rec *recorder, res []vegeta.Result) {
	for i := range res {
		rec.record(&res[i])
	}
}

// BenchmarkRecord measures the recorder's per-result path once its
// endpoints are warm: it must allocate nothing and cost well under a
// microsecond.
func BenchmarkRecord(b *testing.B) {
	rec, _ := benchRecorder(b)
	res := benchResults(*rec.began())
	warm(rec, res)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		rec.record(&res[i&1023])
		i++
	}
}

// TestRecordAllocatesNothing guards the hot path outside benchmarks too:
// once the endpoints are warm, recording allocates nothing.
func TestRecordAllocatesNothing(t *testing.T) {
	rec, _ := benchRecorder(t)
	res := benchResults(*rec.began())
	warm(rec, res)
	i := 0
	allocs := testing.AllocsPerRun(10000, func() {
		rec.record(&res[i&1023])
		i++
	})
	if allocs != 0 {
		t.Errorf("record allocates %.1f times per result", allocs)
	}
}

// TestRecorderConstantMemory records a million results, flushing an interval
// every 10,000 as a 10k/s run would, and checks that the heap stays within
// a few MB of its size after the first 10,000.
func TestRecorderConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a million results")
	}
	rec, sched := benchRecorder(t)
	res := benchResults(*rec.began())
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var after10k uint64
	for i := 0; i < 1_000_000; i++ {
		r := &res[i&1023]
		r.Seq = uint64(i)
		rec.record(r)
		if (i+1)%10_000 == 0 {
			end := time.Duration((i+1)/10_000) * time.Second
			rec.flush(end, sched.rate(end), 0)
			if i+1 == 10_000 {
				after10k = heap()
			}
		}
	}
	after1m := heap()
	grown := int64(after1m) - int64(after10k)
	t.Logf("heap after 10k results %d KB, after 1M %d KB", after10k/1024, after1m/1024)
	if grown > 4<<20 {
		t.Errorf("heap grew by %d KB between 10k and 1M results", grown/1024)
	}
	if rec.overall.total.requests != 1_000_000 {
		t.Errorf("recorded %d", rec.overall.total.requests)
	}
}

// BenchmarkTargeter measures building one request of the built-in mix
// (templates, data draws, escaping): the goal is under 2 µs.
func BenchmarkTargeter(b *testing.B) {
	sc, err := scenarios.Builtin("steady")
	if err != nil {
		b.Fatal(err)
	}
	tr, err := newTargeter(sc, sc.Requests)
	if err != nil {
		b.Fatal(err)
	}
	var tgt vegeta.Target
	b.ReportAllocs()
	for b.Loop() {
		if err := tr.target(&tgt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUserPace measures the closed model's per-request pacing: a user
// handed out by Pace and freed by the recorder, at the peak without think
// time (the path of every request of `loadgate run` with a users stage).
func BenchmarkUserPace(b *testing.B) {
	sched := newSchedule([]stageLevel{{dur: time.Hour, from: 64, to: 64}})
	p := newUserPacer(sched, 64, 0, nil, wallClock())
	now := time.Now()
	b.ReportAllocs()
	var hits uint64
	for b.Loop() {
		if _, stop := p.Pace(time.Second, hits); stop {
			b.Fatal("stopped")
		}
		p.finished(now)
		hits++
	}
}

// BenchmarkCheckpointSnapshot measures what a checkpoint costs the
// recording goroutine (once every few seconds, never per result): the
// figures of two endpoints and the whole run from their histograms after
// an hour of points. Encoding and writing the files happen elsewhere.
func BenchmarkCheckpointSnapshot(b *testing.B) {
	rec, sched := benchRecorder(b)
	res := benchResults(*rec.began())
	for i := range 100_000 {
		rec.record(&res[i&1023])
	}
	for s := range 3600 {
		rec.flush(time.Duration(s+1)*time.Second, 1000, 0)
	}
	sc := &scenarios.Scenario{Requests: []scenarios.Request{{Name: "a", Weight: 1}, {Name: "b", Weight: 1}}}
	sc.Load.MaxWorkers = 1000
	a := &attack{sc: sc, cfg: config{clock: wallClock()}, sched: sched, rec: rec, sent: func() uint64 { return 100_000 }}
	b.ReportAllocs()
	for b.Loop() {
		a.snapshot(time.Hour)
	}
}
