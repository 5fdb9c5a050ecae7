package runner

import (
	"bytes"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadgate/loadgate/record"
)

// testRecorder is a recorder of endpoints a and b (a expects any 2xx, b
// only 200) with a warm-up, driven by hand: the attack began at origin and
// request k was due at due[k]. Nothing here reads a clock.
func testRecorder(t *testing.T, warmup time.Duration, due map[uint64]time.Duration) (*recorder, *bytes.Buffer, time.Time) {
	t.Helper()
	origin := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	var log bytes.Buffer
	rec, err := newRecorder(recorderConfig{
		names: []string{"a", "b"}, expects: [][]int{nil, {200}},
		highest: time.Minute, warmup: warmup, origin: origin, hlog: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	rec.began = func() *time.Time { return &origin }
	rec.due = func(k uint64) time.Duration { return due[k] }
	return rec, &log, origin
}

// vegetaResult is request seq to endpoint ep ("a" or "b"), sent at sent after
// origin, answered with code after took; code 0 is a refused connection.
func vegetaResult(origin time.Time, seq uint64, ep string, sent, took time.Duration, code uint16) *vegeta.Result {
	res := &vegeta.Result{
		Seq: seq, Code: code, Timestamp: origin.Add(sent), Latency: took,
		URL: "http://127.0.0.1:1/" + ep + "#" + map[string]string{"a": "0", "b": "1"}[ep],
	}
	if code == 0 {
		res.Error = "dial tcp 127.0.0.1:1: connect: connection refused"
	}
	return res
}

// logCounts reads an interval log with the project's reader.
func logCounts(t *testing.T, log []byte) map[string]int64 {
	t.Helper()
	counts := map[string]int64{}
	err := record.ReadHlog(bytes.NewReader(log), "latency.hlog", func(iv record.HlogInterval) error {
		counts[iv.Tag] += iv.Hist.TotalCount()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

// Every measured result reaches latency.hlog, whenever it arrives against
// the interval ticks: a result due at (or just after) the end of the
// warm-up that is recorded before the tick closing the warm-up's last
// second is flushed late by the ticker used to be dropped with that
// second's histograms (run.json 1, log 0).
func TestRecorderLogsEveryMeasuredResult(t *testing.T) {
	t.Parallel()
	const warmup = time.Second
	cases := []struct {
		name string
		due  time.Duration // of the one request
		// flushes are the interval ends closed before the result is
		// recorded, and after it.
		before, after []time.Duration
		measured      int64
	}{
		{"due in the warm-up", 999 * time.Millisecond, nil, []time.Duration{time.Second, 2 * time.Second}, 0},
		{"due at the end of the warm-up, recorded before its tick", time.Second, nil, []time.Duration{time.Second, 2 * time.Second}, 1},
		{"due just after the warm-up, recorded before its tick", time.Second + time.Millisecond, nil, []time.Duration{time.Second, 2 * time.Second}, 1},
		{"due at the end of the warm-up, recorded after its tick", time.Second, []time.Duration{time.Second}, []time.Duration{2 * time.Second}, 1},
		{"due in the measured window, last interval", 1500 * time.Millisecond, []time.Duration{time.Second}, []time.Duration{1700 * time.Millisecond}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, log, origin := testRecorder(t, warmup, map[uint64]time.Duration{0: c.due})
			for _, end := range c.before {
				rec.flush(end, 1, 0)
			}
			rec.record(vegetaResult(origin, 0, "a", c.due, time.Millisecond, 200))
			for _, end := range c.after {
				rec.flush(end, 1, 0)
			}
			if rec.logErr != nil {
				t.Fatal(rec.logErr)
			}
			counts := logCounts(t, log.Bytes())
			if got := rec.overall.total.requests; got != c.measured {
				t.Errorf("measured %d, want %d", got, c.measured)
			}
			if counts[""] != rec.overall.total.requests || counts["a"] != rec.endpoints[0].total.requests {
				t.Errorf("totals %d (a %d), log %v", rec.overall.total.requests, rec.endpoints[0].total.requests, counts)
			}
		})
	}
}

// checkLogs asserts the invariant of every run directory: latency.hlog and
// service_time.hlog hold exactly the requests run.json counts, per
// endpoint and outcome.
func checkLogs(t *testing.T, dir string) {
	t.Helper()
	if err := record.CheckLogs(dir); err != nil {
		t.Error(err)
	}
}

// Latencies are kept apart by outcome: a refused connection answers in a
// fraction of a millisecond and must not pull the successful requests'
// percentiles down. run.json has all, ok and failed; the log tags each.
func TestRecorderSplitsLatencyByOutcome(t *testing.T) {
	t.Parallel()
	due := map[uint64]time.Duration{}
	for k := range uint64(40) {
		due[k] = time.Duration(k) * 20 * time.Millisecond
	}
	rec, log, origin := testRecorder(t, 0, due)
	for k := range uint64(40) {
		switch {
		case k < 10: // a: served slowly
			rec.record(vegetaResult(origin, k, "a", due[k], 200*time.Millisecond, 200))
		case k < 15: // b: a 503 is a failure whatever its speed
			rec.record(vegetaResult(origin, k, "b", due[k], 40*time.Millisecond, 503))
		default: // a: the target is gone, connections refused at once
			rec.record(vegetaResult(origin, k, "a", due[k], 300*time.Microsecond, 0))
		}
	}
	rec.flush(time.Second, 40, 0)
	if rec.logErr != nil {
		t.Fatal(rec.logErr)
	}
	a := rec.endpoints[0].stats(1, 0)
	ok, okFound := a.LatencyOf(record.OK)
	failed, failedFound := a.LatencyOf(record.Failed)
	switch {
	case a.Requests != 35 || a.Successes != 10:
		t.Fatalf("a: %d requests, %d successes", a.Requests, a.Successes)
	case !okFound || ok.Min < 199_000 || ok.P95 < 199_000:
		t.Errorf("a, successful: %+v (found %v), want 200 ms throughout", ok, okFound)
	case !failedFound || failed.Max > 1000:
		t.Errorf("a, failed: %+v (found %v), want the refused ones only", failed, failedFound)
	case a.LatencyUS.P50 > 1000 || a.LatencyUS.Max < 199_000:
		t.Errorf("a, all: %+v, want both", a.LatencyUS)
	}
	b := rec.endpoints[1].stats(1, 0)
	if _, found := b.LatencyOf(record.OK); found || b.LatencyOKUS != nil {
		t.Errorf("b had no success, yet a successful latency: %+v", b.LatencyOKUS)
	}
	if l, _ := b.LatencyOf(record.Failed); l.P50 < 39_000 {
		t.Errorf("b, failed: %+v", l)
	}
	run := &record.Run{Overall: rec.overall.stats(1, 0), Endpoints: map[string]record.Stats{"a": a, "b": b}}
	counts := logCounts(t, log.Bytes())
	for tag, want := range map[string]int64{"": 40, ":ok": 10, ":failed": 30, "a": 35, "a:ok": 10, "a:failed": 25, "b": 5, "b:failed": 5, "b:ok": 0} {
		if counts[tag] != want {
			t.Errorf("latency.hlog: Tag=%s holds %d, want %d", tag, counts[tag], want)
		}
	}
	if err := run.CheckCounts(counts, record.HlogFile); err != nil {
		t.Error(err)
	}
	svc, err := rec.serviceLog(0, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.CheckCounts(logCounts(t, svc), record.ServiceHlogFile); err != nil {
		t.Error(err)
	}
}
