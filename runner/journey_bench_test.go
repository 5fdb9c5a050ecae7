package runner

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/scenarios"
)

// benchStep is a flow step with one check and one extract, a worker that
// holds the variable the step's URL uses, a response of about 1 KB to
// judge (its values after 1 KB of other data), and a recorder to record
// the step into.
type benchStep struct {
	w   *worker
	st  *compiledStep
	f   *compiledFlow
	r   response
	rec *recorder
	fr  *flowRecording
}

func newBenchStep(tb testing.TB) *benchStep {
	tb.Helper()
	sc, err := scenarios.Parse([]byte(`name: bench
target: {base_url: "http://127.0.0.1:8080", health: none}
load:
  stages: [{duration: 1h, rate: 1000/s}]
data:
  user: {range: [1, 1000]}
flows:
  - name: buyer
    steps:
      - name: login
        method: POST
        path: /login
        extract: {token: {json: $.token}}
      - name: order
        path: /users/{{user}}/orders?token={{token}}
        headers: {Authorization: "Bearer {{token}}"}
        check: [{json: $.order.status, equals: paid}]
        extract: {order_id: {json: $.order.id}}
      - name: read
        path: /orders/{{order_id}}
`), "bench.yaml", "")
	if err != nil {
		tb.Fatal(err)
	}
	set, err := newFlowSet(sc)
	if err != nil {
		tb.Fatal(err)
	}
	origin := time.Now()
	rec, err := newRecorder(recorderConfig{names: set.names, expects: set.expects, highest: time.Hour + time.Minute, origin: origin, hlog: io.Discard})
	if err != nil {
		tb.Fatal(err)
	}
	rec.began = func() *time.Time { return &origin }
	e := &flowEngine{set: set, clock: wallClock(), began: origin}
	b := &benchStep{w: newWorker(e), f: set.flows[0], rec: rec, fr: newFlowRecording(set)}
	b.st = &b.f.steps[1]
	if err := b.w.draw(b.f); err != nil {
		tb.Fatal(err)
	}
	b.w.env.sources = b.f.sources
	b.w.env.vars[1] = append(b.w.env.vars[1], "3f9c2a7e51b04d6c8e2f"...)
	// The checked and extracted values come after 1 KB of items, which the
	// lookups scan past.
	body := `{"order": {"items": [` + strings.Repeat(`{"sku": "TEA-1", "qty": 2, "price": 4.5}, `, 24) +
		`{"sku": "CAKE-2", "qty": 1, "price": 3.9}], "id": 123456, "status": "paid"}, "user": {"id": 42, "name": "ann"}}`
	b.r = response{code: 200, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(body), duration: time.Millisecond}
	return b
}

// once does what loadgate adds to one exchange of a step with a check and
// an extract, the HTTP round trip itself left out: render the URL, judge the
// response, record the result.
func (b *benchStep) once(i int) {
	w, st := b.w, b.st
	w.url = render(w.url[:0], st.url, w.drawn, &w.env)
	ev := flowEvent{endpoint: st.endpoint, flow: b.f, extractFailed: -1}
	at := time.Duration(i) * time.Millisecond
	ev.res = result{intended: at, sent: at, end: at + time.Millisecond, code: 200, bytesIn: int64(len(b.r.body)), header: b.r.header}
	b.r.shape = shapeUnknown // a new response: its body is scanned again
	w.judge(st, &b.r, &ev)
	if ev.res.kind != kindOK {
		panic("the bench step failed")
	}
	b.fr.record(b.rec, &ev)
}

// BenchmarkStep measures a flow step's own cost beside its HTTP exchange:
// the URL with a variable rendered, one JSON check and one JSON extract run
// on a 1 KB body, the result recorded. It must allocate nothing.
func BenchmarkStep(b *testing.B) {
	s := newBenchStep(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.once(i)
		i++
	}
}

// TestStepAllocatesNothing guards the step's path outside benchmarks too.
func TestStepAllocatesNothing(t *testing.T) {
	s := newBenchStep(t)
	i := 0
	s.once(i) // buffers grow once
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		s.once(i)
	})
	if allocs != 0 {
		t.Errorf("a step's check, extract and record allocate %.1f times", allocs)
	}
	if got := string(s.w.env.vars[0]); got != "123456" {
		t.Errorf("extracted order_id %q", got)
	}
	// One step before, and AllocsPerRun's warm-up call and its 1000 runs.
	if n := s.fr.steps[s.st.endpoint].checks[0][0]; n != 1002 {
		t.Errorf("%d checks passed, want 1002", n)
	}
}

// TestFlowRecordingConstantMemory records 100,000 flow steps (each judged
// on its 1 KB body) and the ends of their iterations, closing an interval
// every 1,000 as a 1k/s run would, and checks that the heap stays within a
// few MB of its size after the first 1,000: a flow run's recording does not
// grow with its length.
func TestFlowRecordingConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 steps")
	}
	s := newBenchStep(t)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var after1k uint64
	for i := range 100_000 {
		s.once(i)
		if i%3 == 2 {
			ev := flowEvent{iter: true, flow: s.f, endpoint: s.f.iteration}
			at := time.Duration(i-2) * time.Millisecond
			ev.res = result{intended: at, sent: at, end: at + 3*time.Millisecond}
			s.fr.record(s.rec, &ev)
		}
		if (i+1)%1_000 == 0 {
			s.rec.flush(time.Duration((i+1)/1_000)*time.Second, 1_000, 0)
			if i+1 == 1_000 {
				after1k = heap()
			}
		}
	}
	end := heap()
	t.Logf("heap after 1k steps %d KB, after 100k %d KB", after1k/1024, end/1024)
	if grown := int64(end) - int64(after1k); grown > 4<<20 {
		t.Errorf("heap grew by %d KB between 1k and 100k steps", grown/1024)
	}
	if n := s.rec.endpoints[s.f.iteration].total.requests; n != 33_333 {
		t.Errorf("%d iterations recorded", n)
	}
}
