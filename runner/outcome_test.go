package runner

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// A target that answers slowly for a while and is then gone: the refused
// connections that follow take a fraction of a millisecond each and
// outnumber the answers. They are the failed population; a latency gate
// reads the successful one and fails on it, where the mixed percentiles
// would have passed.
func TestRefusedConnectionsDoNotPassLatencyGates(t *testing.T) {
	const served = 12
	var n atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			fmt.Fprint(w, "ok")
			return
		}
		if n.Add(1) == served {
			// Stop listening: later requests are refused. Close waits for
			// the requests in flight, this one included, so not here.
			go srv.Close()
		}
		time.Sleep(100 * time.Millisecond) // the target's own latency
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	sc := scenarioFor(t, srv.URL, `load:
  stages: [{duration: 2s, rate: 40/s}]
requests: [{name: chat, path: /chat}]
`)
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	chat := run.Endpoints["chat"]
	failed := chat.Requests - chat.Successes
	if chat.Successes < served || chat.Errors["refused"] == 0 || failed < 40 {
		t.Fatalf("chat: %d requests, %d successes, errors %v: want %d or more answered and the rest refused", chat.Requests, chat.Successes, chat.Errors, served)
	}
	for name, s := range map[string]record.Stats{"whole run": run.Overall, "chat": chat} {
		ok, found := s.LatencyOf(record.OK)
		if !found || ok.Min < 100_000 {
			t.Errorf("%s, successful requests: %+v (found %v), want 100 ms or more each", name, ok, found)
		}
		if f, found := s.LatencyOf(record.Failed); !found || s.Count(record.Failed) != failed || f.P50 >= 100_000 {
			t.Errorf("%s, failed requests: %d, %+v (found %v), want the %d refused ones, fast", name, s.Count(record.Failed), f, found, failed)
		}
	}
	// The mixed median is a refused connection's; the gates on successful
	// requests see only the 100 ms answers.
	for _, c := range []struct {
		expr, verdict string
	}{
		{"p50 < 50ms", record.VerdictFail},
		{"chat.p50 < 50ms", record.VerdictFail},
		{"p95 < 50ms", record.VerdictFail},
		{"all.p50 < 50ms", record.VerdictPass},
		{"failed.p50 < 50ms", record.VerdictPass},
		{"chat.failed.p50 < 50ms", record.VerdictPass},
	} {
		g := gate.Evaluate(run, []string{c.expr})[0]
		if g.Verdict != c.verdict {
			t.Errorf("%s: %s (%s), want %s", c.expr, g.Verdict, g.Message, c.verdict)
		}
	}
}

// Merging shards keeps the outcomes apart and exact: the merged run.json's
// latencies of successful and failed requests are those of the shards'
// histograms added, and its logs hold every population's requests.
func TestMergeKeepsOutcomesApart(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/health":
		case n.Add(1)%3 == 0:
			w.WriteHeader(http.StatusServiceUnavailable) // fast failures
		default:
			time.Sleep(20 * time.Millisecond)
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	yaml := "load:\n  stages: [{duration: 1500ms, rate: 40/s}]\nrequests:\n  - {name: a, path: /a}\n  - {name: b, path: /b}\n"
	root := t.TempDir()
	var dirs []string
	for i := 1; i <= 2; i++ {
		sc := scenarioFor(t, srv.URL, yaml)
		if err := sc.Apply(scenarios.Overrides{Shard: scenarios.Shard{Index: i, Count: 2}}); err != nil {
			t.Fatal(err)
		}
		_, dir, err := runWritten(context.Background(), sc, WithResultsRoot(root))
		if err != nil {
			t.Fatal(err)
		}
		checkLogs(t, dir)
		dirs = append(dirs, dir)
	}
	out := filepath.Join(root, "merged")
	merged := mergeShards(t, dirs, out)
	checkLogs(t, out)
	// The shards' histograms of each tag, added here from their logs.
	want := map[string]*hdr.Histogram{}
	for _, d := range dirs {
		path := filepath.Join(d, record.HlogFile)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		err = record.ReadHlog(f, path, func(iv record.HlogInterval) error {
			h := want[iv.Tag]
			if h == nil {
				h = hdr.New(iv.Hist.LowestTrackableValue(), iv.Hist.HighestTrackableValue(), int(iv.Hist.SignificantFigures()))
				want[iv.Tag] = h
			}
			iv.Hist.MergeInto(h)
			return nil
		})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"", "a", "b"} {
		st := merged.Overall
		if name != "" {
			st = merged.Endpoints[name]
		}
		if st.Successes == 0 || st.Successes == st.Requests {
			t.Fatalf("series %q: %d of %d succeeded; the test needs both outcomes", name, st.Successes, st.Requests)
		}
		for _, p := range record.Populations {
			got, found := st.LatencyOf(p)
			h := want[record.Tag(name, p)]
			if !found || h == nil || got != latencySummary(h) {
				t.Errorf("series %q, %s: merged %+v (found %v), the shards' histograms give %+v", name, p.Describe(), got, found, latencySummary(h))
			}
		}
		if ok, _ := st.LatencyOf(record.OK); ok.Min < 20_000 {
			t.Errorf("series %q: a successful request took %v µs, less than the target's 20 ms", name, ok.Min)
		}
	}
}

// mergeShards merges the shard runs in dirs into out (record.Merge) and
// writes the merged timeline.json and run.json there, as the owner of a
// merge does.
func mergeShards(t *testing.T, dirs []string, out string) *record.Run {
	t.Helper()
	run, tl, err := record.Merge(context.Background(), dirs, out)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeRunFiles(out, run, tl); err != nil {
		t.Fatal(err)
	}
	return run
}
