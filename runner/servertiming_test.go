package runner

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

func TestServerTimingParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		values []string
		want   map[string]float64 // name → mean ms
	}{
		// The reference target's header.
		{"target", []string{"db;dur=12.3, cache;dur=0.4, llm;dur=2100"}, map[string]float64{"db": 12.3, "cache": 0.4, "llm": 2100}},
		// Spacing, case of the parameter and a quoted description holding a comma and a semicolon.
		{"quoted", []string{` db ; desc="a, b;c" ; DUR = 3 ,cache;dur="1.5"`}, map[string]float64{"db": 3, "cache": 1.5}},
		// An entry without dur, an empty one and a bad number are skipped.
		{"skipped", []string{"miss, , db;dur=x, llm;dur=-1, cache;dur=2"}, map[string]float64{"cache": 2}},
		// Two header lines; the same name twice in one response counts twice.
		{"two lines", []string{"db;dur=1", "db;dur=3"}, map[string]float64{"db": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s serverTiming
			s.observe(http.Header{"Server-Timing": tc.values})
			var p record.Point
			s.flush(&p)
			got := map[string]float64{}
			for k, v := range p.Server {
				if n, ok := strings.CutPrefix(k, record.ServerTimingPrefix); ok {
					got[n] = v
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestServerTimingNamesBounded: only the first maxTimingNames names count.
func TestServerTimingNamesBounded(t *testing.T) {
	t.Parallel()
	var s serverTiming
	for i := range 20 {
		s.parse(fmt.Sprintf("n%d;dur=1", i))
	}
	var p record.Point
	s.flush(&p)
	if len(p.Server) != 2*maxTimingNames {
		t.Fatalf("%d keys, want %d: %v", len(p.Server), 2*maxTimingNames, p.Server)
	}
	if _, ok := p.Server[record.ServerTimingPrefix+"n7"]; !ok {
		t.Errorf("first names missing: %v", p.Server)
	}
	// A flushed interval starts empty: no keys for names not seen in it.
	var q record.Point
	s.flush(&q)
	if q.Server != nil {
		t.Errorf("empty interval has %v", q.Server)
	}
}

// TestRecordServerTimingAllocatesNothing: once its names are known, a
// response with the header costs no allocation either.
func TestRecordServerTimingAllocatesNothing(t *testing.T) {
	rec, _ := benchRecorder(t)
	res := benchResults(*rec.began())
	h := http.Header{"Content-Length": {"2"}, "Server-Timing": {"db;dur=12.3, cache;dur=0.4, llm;dur=2100"}}
	for i := range res {
		res[i].Headers = h
	}
	rec.record(&res[0])
	i := 1
	allocs := testing.AllocsPerRun(10000, func() {
		rec.record(&res[i&1023])
		i++
	})
	if allocs != 0 {
		t.Errorf("record with Server-Timing allocates %.1f times per result", allocs)
	}
}

// timingServer answers like okServer, with a Server-Timing header whose db
// duration is the request's id in ms: /a/1 → db 1 ms, cache 0.5 ms.
func timingServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			fmt.Fprint(w, `{"status":"ok"}`)
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/a/")
		w.Header().Set("Server-Timing", "db;dur="+id+`, cache;desc="redis, get";dur=0.5`)
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestRunRecordsServerTiming: the timeline holds the mean Server-Timing
// durations per interval, and a merge of two shards keeps them exact.
func TestRunRecordsServerTiming(t *testing.T) {
	srv := timingServer(t)
	yaml := `load:
  stages: [{duration: 2s, rate: 40/s}]
data:
  id: {values: [2, 4], pick: sequential}
requests:
  - {name: a, path: "/a/{{id}}"}
`
	root := t.TempDir()
	run, dir, err := runWritten(context.Background(), scenarioFor(t, srv.URL, yaml), WithResultsRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	if db := run.Server.ServerTiming["db"]; db.Count != 80 || math.Abs(db.MeanMS-3) > 1e-9 {
		t.Errorf("run.json server_timing db = %+v, want 80 responses with a mean of 3 ms", db)
	}
	if c := run.Server.ServerTiming["cache"]; c.Count != 80 || c.MeanMS != 0.5 {
		t.Errorf("run.json server_timing cache = %+v, want 80 at 0.5 ms", c)
	}
	tl, err := record.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n, dbSum float64
	for _, p := range tl.Points {
		c := p.Server[record.ServerTimingCountPrefix+"db"]
		if c != float64(p.Requests) {
			t.Errorf("t=%v: %v responses carried db, %d requests", p.T, c, p.Requests)
		}
		if c > 0 && p.Server[record.ServerTimingPrefix+"cache"] != 0.5 {
			t.Errorf("t=%v: cache %v, want 0.5", p.T, p.Server[record.ServerTimingPrefix+"cache"])
		}
		n += c
		dbSum += c * p.Server[record.ServerTimingPrefix+"db"]
	}
	// Sequential ids 2, 4, 2, 4…: 80 requests with a db mean of exactly 3 ms.
	if n != 80 || math.Abs(dbSum/n-3) > 1e-9 {
		t.Errorf("%v responses with a db mean of %v ms, want 80 and 3", n, dbSum/n)
	}
}
