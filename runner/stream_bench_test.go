package runner

import (
	"bytes"
	"fmt"

	"testing"
	"time"

	"github.com/loadgate/loadgate/scenarios"
)

// streamEvents is the body of an SSE stream of n content events (the role
// chunk first, usage and [DONE] last), as an OpenAI-compatible server sends
// it.
func streamEvents(n int) []byte {
	var b bytes.Buffer
	b.WriteString("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n")
	for i := range n {
		fmt.Fprintf(&b, "data: %s\n\n", chunk(fmt.Sprintf("token%d ", i)))
	}
	fmt.Fprintf(&b, "data: {\"choices\":[],\"usage\":{\"completion_tokens\":%d}}\n\ndata: [DONE]\n\n", n)
	return b.Bytes()
}

// streamWorker is a worker of an engine that reads streams on a clock that
// moves 1 ms each read, with its reader warm.
func streamWorker(tb testing.TB) (*worker, streamSender) {
	tb.Helper()
	ms := time.Duration(0)
	e := &flowEngine{set: &flowSet{maxBody: scenarios.DefaultMaxBody}, highest: 3600e6,
		clock: clock{now: func() time.Time { ms += time.Millisecond; return time.Unix(0, int64(ms)) }}}
	s, err := newStreamSender(scenarios.StreamSSE, "")
	if err != nil {
		tb.Fatal(err)
	}
	return newWorker(e), s
}

// readStream reads body as one streamed response into the worker's next
// stream figures.
func readStream(w *worker, s streamSender, body *bytes.Reader) (*streamFigures, kind, error) {
	fig := w.streamBuf()
	w.counted = counter{r: body}
	k, err := s.read(w, fig, w.e.set.maxBody)
	w.gapsTaken()
	return fig, k, err
}

// BenchmarkStream reads a 1,000-event stream per iteration: once the
// worker's buffers are warm it allocates nothing per event (allocs/op is
// per stream of 1,000 events).
func BenchmarkStream(b *testing.B) {
	data := streamEvents(1000)
	w, s := streamWorker(b)
	body := bytes.NewReader(data)
	for range 2 { // both stream figures warm
		body.Reset(data)
		readStream(w, s, body)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		body.Reset(data)
		if _, k, err := readStream(w, s, body); k != kindOK || err != nil {
			b.Fatal(k, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/event")
}

// TestStreamAllocatesNothingPerEvent guards the per-event path outside
// benchmarks: a warm worker reads a stream of 1,000 events without one
// allocation, and measures it whole.
func TestStreamAllocatesNothingPerEvent(t *testing.T) {
	data := streamEvents(1000)
	w, s := streamWorker(t)
	body := bytes.NewReader(data)
	for range 2 {
		body.Reset(data)
		readStream(w, s, body)
	}
	var fig *streamFigures
	allocs := testing.AllocsPerRun(20, func() {
		body.Reset(data)
		var k kind
		var err error
		if fig, k, err = readStream(w, s, body); k != kindOK || err != nil {
			t.Fatal(k, err)
		}
	})
	if allocs != 0 {
		t.Errorf("a 1,000-event stream allocates %v times", allocs)
	}
	if fig.events != 1000 || fig.tokens != 1000 || !fig.usage || fig.gaps.TotalCount() != 999 {
		t.Errorf("figures %+v (%d gaps), want 1,000 content events and tokens from usage", fig, fig.gaps.TotalCount())
	}
}

// BenchmarkRecordStream measures the recorder's path for a streamed result
// of 1,000 events (its gaps added to the ITL histograms): no allocation.
func BenchmarkRecordStream(b *testing.B) {
	rec, _ := benchRecorder(b)
	w, s := streamWorker(b)
	data := streamEvents(1000)
	body := bytes.NewReader(data)
	fig, _, _ := readStream(w, s, body)
	res := result{code: 200, sent: time.Second, intended: time.Second, end: 2 * time.Second, stream: fig}
	rec.take(0, rec.endpoints[0], &res)
	b.ReportAllocs()
	for b.Loop() {
		rec.take(0, rec.endpoints[0], &res)
	}
}
