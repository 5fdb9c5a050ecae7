package history

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/target/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// runSpec describes a synthetic finished run: Seconds measured seconds of
// 20 successful "search" requests each, whose latency is about Scale × 10
// ms.
type runSpec struct {
	ID, Commit, Plan, Status, Verdict, Shard string
	Started                                  time.Time
	Seconds                                  int
	Scale                                    float64
	Seed                                     uint64
}

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// writeRun writes run.json and latency.hlog of spec into dir and returns
// the run.
func writeRun(t testing.TB, dir string, spec runSpec) *record.Run {
	t.Helper()
	if spec.Seconds == 0 {
		spec.Seconds = 20
	}
	if spec.Scale == 0 {
		spec.Scale = 1
	}
	if spec.Plan == "" {
		spec.Plan = "sha256:plan-a"
	}
	if spec.Status == "" {
		spec.Status = record.StatusCompleted
	}
	if spec.Verdict == "" {
		spec.Verdict = record.VerdictPass
	}
	if spec.Started.IsZero() {
		spec.Started = t0
	}
	if spec.ID == "" {
		spec.ID = spec.Started.Format(record.DirTimeFormat) + "-steady"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, record.HlogFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := hdr.NewHistogramLogWriter(f)
	base := spec.Started.UnixMilli()
	if err := record.WriteHlogHeader(w, base, "test"); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(spec.Seed, 3))
	total := hdr.New(1, 60_000_000, 3)
	h := hdr.New(1, 1_000_000, 2)
	for s := 0; s < spec.Seconds; s++ {
		h.Reset()
		for i := 0; i < 20; i++ {
			v := int64(spec.Scale * (9000 + rng.Float64()*2000))
			h.RecordValue(v)
			total.RecordValue(v)
		}
		for _, tag := range []string{"", "search", ":ok", "search:ok"} {
			h.SetStartTimeMs(base + int64(s)*1000)
			h.SetEndTimeMs(base + int64(s+1)*1000)
			h.SetTag(tag)
			if err := w.OutputIntervalHistogram(h); err != nil {
				t.Fatal(err)
			}
		}
	}
	lat := record.Latency{P50: float64(total.ValueAtQuantile(50)), P90: float64(total.ValueAtQuantile(90)),
		P95: float64(total.ValueAtQuantile(95)), P99: float64(total.ValueAtQuantile(99)),
		P999: float64(total.ValueAtQuantile(99.9)), Max: float64(total.Max()), Mean: total.Mean()}
	n := int64(20 * spec.Seconds)
	st := record.Stats{Requests: n, Successes: n, Rate: record.Rate{Target: 20, Achieved: 20}, LatencyUS: lat, LatencyOKUS: &lat}
	p95 := lat.P95
	run := &record.Run{
		Schema: record.Schema, ID: spec.ID, Scenario: "steady", Status: spec.Status, Target: "http://127.0.0.1:1",
		Started: spec.Started, Ended: spec.Started.Add(time.Duration(spec.Seconds) * time.Second), Commit: spec.Commit,
		Host: "h", PlanHash: spec.Plan, Shard: spec.Shard, Plan: record.Plan{Gates: []string{"p95 < 3s"}, Timeout: 30 * time.Second},
		Overall: st, Endpoints: map[string]record.Stats{"search": st},
		Gates:  []record.Gate{{Expr: "p95 < 3s", Value: &p95, Threshold: 3e6, Unit: "us", Verdict: spec.Verdict}},
		Judged: &record.Judgement{Gates: []string{"p95 < 3s"}, Source: record.GatesFromScenario, Verdict: spec.Verdict},
	}
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	return run
}

// backends gives a fresh store URL of each kind: a SQLite file in a
// temporary directory and a PostgreSQL database of the test's own.
func backends(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return DefaultURL(t.TempDir()) },
		"postgres": func(t *testing.T) string { return testdb.Fresh(t) },
	}
}

// eachBackend runs f against a fresh store of each kind.
func eachBackend(t *testing.T, f func(t *testing.T, url string)) {
	for name, fresh := range backends(t) {
		t.Run(name, func(t *testing.T) { f(t, fresh(t)) })
	}
}

// open opens url for writing and closes it at the end of the test.
func open(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, Write)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// helperWriter is this test binary run as a writer process that imports
// dir into url.
func helperWriter(t *testing.T, url, dir string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HISTORY_TEST_WRITER_DIR="+dir, "HISTORY_TEST_WRITER_URL="+url)
	return cmd
}
