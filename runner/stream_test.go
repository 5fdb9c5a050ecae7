package runner

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// sseTiming is what sseServer streams: the role chunk at once, the first
// content chunk after ttft, then chunks-1 more every gap, each of k tokens
// ("t " k times); usage (chunks*k) when usage is set; then [DONE].
type sseTiming struct {
	ttft, gap time.Duration
	chunks, k int
	usage     bool
}

// chunk is an OpenAI chat-completions chunk with content.
func chunk(content string) string {
	return fmt.Sprintf(`{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":%q},"finish_reason":null}]}`, content)
}

// sseServer streams by path: /ok and /events as tm says (/events without
// usage); /never a content chunk every 20 ms until the client goes;
// /malformed an event that is not JSON; /json a 200 with a JSON body;
// /long an event line of 4 KiB; /cut content then the end without [DONE];
// /error content then an error event.
func sseServer(t *testing.T, tm sseTiming) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		if r.URL.Path == "/json" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"choices":[{"message":{"content":"not streamed"}}]}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		send := func(data string) bool {
			_, err := fmt.Fprintf(w, "data: %s\n\n", data)
			fl.Flush()
			return err == nil
		}
		send(`{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`)
		switch r.URL.Path {
		case "/never":
			for send(chunk("t ")) {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
			return
		case "/malformed":
			send(chunk("t "))
			send(`{"choices": [unquoted]}`)
			send("[DONE]")
			return
		case "/long":
			send(chunk("t "))
			send(chunk(strings.Repeat("x", 4096)))
			send("[DONE]")
			return
		case "/cut":
			send(chunk("t "))
			return
		case "/error":
			send(chunk("t "))
			send(`{"error":{"code":"model_failed","message":"the model failed"}}`)
			return
		}
		time.Sleep(tm.ttft)
		for i := range tm.chunks {
			if i > 0 {
				time.Sleep(tm.gap)
			}
			send(chunk(strings.Repeat("t ", tm.k)))
		}
		if tm.usage && r.URL.Path == "/ok" {
			send(fmt.Sprintf(`{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":%d,"total_tokens":%d}}`, tm.chunks*tm.k, tm.chunks*tm.k+5))
		}
		send("[DONE]")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestStreamMetricsKnownTiming: against a server that sends the first token
// after T, then a chunk of K tokens every G, each metric is what the
// timing makes it, within the histograms' precision (0.1 %) and the send
// jitter: lower bounds strictly, upper bounds with room for a shared
// machine. Tokens come from usage on /ok and are counted as content events
// on /events, and run.json says so.
func TestStreamMetricsKnownTiming(t *testing.T) {
	t.Parallel()
	tm := sseTiming{ttft: 150 * time.Millisecond, gap: 20 * time.Millisecond, chunks: 6, k: 3, usage: true}
	srv := sseServer(t, tm)
	sc := scenarioFor(t, srv.URL, `load:
  stages: [{duration: 1s, rate: 8/s}]
requests:
  - {name: ok, method: POST, path: /ok, body: "{}", stream: sse}
  - {name: events, method: POST, path: /events, body: "{}", stream: sse}
slo: {ttft: 5s, tpot: 1s}
`)
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	const lo = 0.999 // HDR precision: a value reads at most 0.1 % lower
	room := 300 * time.Millisecond
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) }
	within := func(what string, got float64, want time.Duration) {
		t.Helper()
		if got < lo*us(want) || got > us(want+room) {
			t.Errorf("%s = %.0f µs, want %v (+ at most %v)", what, got, want, room)
		}
	}
	tokens := int64(tm.chunks * tm.k)
	for _, name := range []string{"ok", "events"} {
		st := run.Endpoints[name]
		s := st.Stream
		if s == nil {
			t.Fatalf("%s: no stream block in run.json: %+v", name, st)
		}
		if s.Requests != st.Requests || s.OK != st.Successes || st.Successes == 0 || st.Successes != st.Requests {
			t.Errorf("%s: stream requests %d ok %d, endpoint requests %d successes %d (errors %v)", name, s.Requests, s.OK, st.Requests, st.Successes, st.Errors)
		}
		within(name+" ttft.p50", s.TTFTUS.P50, tm.ttft)
		within(name+" ttft.min", s.TTFTUS.Min, tm.ttft)
		within(name+" ttft_service.p50", s.TTFTServiceUS.P50, tm.ttft)
		within(name+" ttfb.p50", s.TTFBUS.P50, 0) // the role chunk leaves with the headers
		within(name+" itl.p50", s.ITLUS.P50, tm.gap)
		within(name+" e2e.p50", s.E2EUS.P50, tm.ttft+time.Duration(tm.chunks-1)*tm.gap)
		if s.TTFTUS.P50 < s.TTFTServiceUS.P50 {
			t.Errorf("%s: ttft %.0f µs below its service time %.0f µs: TTFT runs from the intended send", name, s.TTFTUS.P50, s.TTFTServiceUS.P50)
		}
		if s.Goodput == nil || *s.Goodput != 1 || s.Good != s.Requests {
			t.Errorf("%s: goodput %v (%d of %d), want every request within the slo", name, s.Goodput, s.Good, s.Requests)
		}
	}
	ok, ev := run.Endpoints["ok"].Stream, run.Endpoints["events"].Stream
	// Usage: K tokens a chunk, TPOT = (chunks-1)·G / (tokens-1).
	within("ok tpot.p50", ok.TPOTUS.P50, time.Duration(tm.chunks-1)*tm.gap/time.Duration(tokens-1))
	if ok.OutputTokensPerRequest.Min != float64(tokens) || ok.OutputTokensPerRequest.Max != float64(tokens) || ok.OutputTokens != tokens*ok.Requests {
		t.Errorf("ok: output tokens %+v (total %d), want %d per request (usage)", ok.OutputTokensPerRequest, ok.OutputTokens, tokens)
	}
	if ok.TokensCounted() != record.TokensFromUsage {
		t.Errorf("ok: tokens counted from %q, want usage", ok.TokensCounted())
	}
	// No usage: one token a content event, TPOT = G.
	within("events tpot.p50", ev.TPOTUS.P50, tm.gap)
	if ev.OutputTokensPerRequest.Max != float64(tm.chunks) || ev.TokensCounted() != record.TokensFromEvents {
		t.Errorf("events: output tokens %+v counted from %q, want %d content events", ev.OutputTokensPerRequest, ev.TokensCounted(), tm.chunks)
	}
	all := run.Overall.Stream
	if all == nil || all.Requests != ok.Requests+ev.Requests || all.OutputTokens != ok.OutputTokens+ev.OutputTokens || all.TokensCounted() != "usage and content events" {
		t.Errorf("whole run's stream %+v, want the endpoints' sum", all)
	}
	if all.TokensPerS <= 0 || run.Plan.SLO == nil || run.Plan.SLO.TTFTUS != 5e6 {
		t.Errorf("tokens/s %v, plan slo %+v", all.TokensPerS, run.Plan.SLO)
	}
	if run.Plan.Requests[0].Stream != "sse" || run.Plan.Requests[0].StreamContent != "$.choices[0].delta.content" {
		t.Errorf("plan request %+v: want its stream and default content path", run.Plan.Requests[0])
	}
	counts, err := record.HlogCounts(dir + "/" + record.StreamHlogFile)
	if err != nil {
		t.Fatal(err)
	}
	if counts["ok#ttft"] != ok.OK || counts["#ttft"] != all.OK || counts["ok#itl"] != ok.OK*int64(tm.chunks-1) {
		t.Errorf("stream.hlog counts %v: want every measured request's figures", counts)
	}
}

// TestStreamBadInput: each way a stream goes wrong has its own kind, and
// the partial tokens of a stream that never ends are recorded (a timeout).
func TestStreamBadInput(t *testing.T) {
	t.Parallel()
	srv := sseServer(t, sseTiming{})
	sc := scenarioFor(t, srv.URL, `  max_body: 1KiB
load:
  stages: [{duration: 1s, rate: 70/s}]
requests:
  - {name: malformed, path: /malformed, stream: sse}
  - {name: json, path: /json, stream: sse}
  - {name: long, path: /long, stream: sse}
  - {name: cut, path: /cut, stream: sse}
  - {name: error, path: /error, stream: sse}
flows:
  - name: f
    steps:
      - {name: never, path: /never, stream: sse, timeout: 300ms}
`)
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	for name, kind := range map[string]string{"f.never": "timeout", "malformed": "malformed", "json": "stream", "long": "too_long", "cut": "incomplete", "error": "incomplete"} {
		st := run.Endpoints[name]
		if st.Requests == 0 || st.Errors[kind] != st.Requests {
			t.Errorf("%s: %d requests, errors %v: want all of kind %s", name, st.Requests, st.Errors, kind)
		}
		if st.Stream == nil || st.Stream.Requests != st.Requests || st.Stream.OK != 0 || st.Stream.TTFTUS != nil {
			t.Errorf("%s: stream block %+v: want every request counted, none in the distributions", name, st.Stream)
		}
	}
	never := run.Endpoints["f.never"].Stream
	if never.OutputTokens < 2*never.Requests {
		t.Errorf("a stream that never ends: %d tokens over %d requests, want its partial tokens recorded", never.OutputTokens, never.Requests)
	}
}

// TestStreamQueueInclusiveTTFT: in the open model with too few workers the
// requests queue, and their TTFT, from the intended send time, grows with
// the queue while the TTFT from the actual send stays the server's.
func TestStreamQueueInclusiveTTFT(t *testing.T) {
	t.Parallel()
	tm := sseTiming{ttft: 100 * time.Millisecond, gap: 20 * time.Millisecond, chunks: 3, k: 1}
	srv := sseServer(t, tm)
	// 15 requests in 1.5 s, one at a time, each about 140 ms: the last
	// waits about 0.6 s.
	sc := scenarioFor(t, srv.URL, `load:
  max_workers: 1
  stages: [{duration: 1500ms, rate: 10/s}]
requests:
  - {name: chat, path: /events, stream: sse}
`)
	run, _, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	s := run.Endpoints["chat"].Stream
	if s == nil || s.OK < 10 {
		t.Fatalf("stream %+v: want the requests measured", s)
	}
	if s.TTFTServiceUS.P50 < 0.999*100e3 || s.TTFTServiceUS.P50 > 400e3 {
		t.Errorf("ttft from the actual send p50 %.0f µs, want the server's 100 ms", s.TTFTServiceUS.P50)
	}
	if s.TTFTUS.Max < s.TTFTServiceUS.Max+300e3 {
		t.Errorf("ttft max %.0f µs, from the actual send %.0f µs: want the queue's wait in it (at least 300 ms more)", s.TTFTUS.Max, s.TTFTServiceUS.Max)
	}
}

// TestStreamReaderBounded: a line longer than the limit is refused without
// the buffer growing past it, however long the line goes on.
func TestStreamReaderBounded(t *testing.T) {
	t.Parallel()
	var r streamReader
	r.reset()
	endless := io.MultiReader(strings.NewReader("data: {}\n"), neverEnding('x'))
	now := func() time.Duration { return 0 }
	line, err := r.line(endless, 1024, now)
	if err != nil || string(line) != "data: {}" {
		t.Fatalf("first line %q, %v", line, err)
	}
	if _, err := r.line(endless, 1024, now); err != errTooLong {
		t.Fatalf("an endless line: %v, want errTooLong", err)
	}
	if cap(r.buf) > 2*(1024+streamBufSize) {
		t.Errorf("buffer of %d bytes for a limit of 1024", cap(r.buf))
	}
}

type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// TestStreamShardsMerge: two shards of a streamed plan merge exactly: the
// counts add, the distributions are those of the added stream.hlog, and
// goodput is the share of the summed counts.
func TestStreamShardsMerge(t *testing.T) {
	t.Parallel()
	srv := sseServer(t, sseTiming{ttft: 50 * time.Millisecond, gap: 10 * time.Millisecond, chunks: 3, k: 2, usage: true})
	root := t.TempDir()
	var dirs []string
	var shards []*record.Run
	for i := 1; i <= 2; i++ {
		sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 1s, rate: 20/s}]\nrequests:\n  - {name: chat, path: /ok, stream: sse}\nslo: {ttft: 60ms}\n")
		if err := sc.Apply(scenarios.Overrides{Shard: scenarios.Shard{Index: i, Count: 2}}); err != nil {
			t.Fatal(err)
		}
		run, d, err := runWritten(context.Background(), sc, WithResultsRoot(root))
		if err != nil {
			t.Fatal(err)
		}
		dirs, shards = append(dirs, d), append(shards, run)
	}
	out := filepath.Join(root, "merged")
	merged := mergeShards(t, dirs, out)
	m, a, b := merged.Endpoints["chat"].Stream, shards[0].Endpoints["chat"].Stream, shards[1].Endpoints["chat"].Stream
	if m == nil || m.Requests != a.Requests+b.Requests || m.OutputTokens != a.OutputTokens+b.OutputTokens || m.Good != a.Good+b.Good {
		t.Fatalf("merged stream %+v from %+v and %+v", m, a, b)
	}
	if m.TTFTUS.Max != max(a.TTFTUS.Max, b.TTFTUS.Max) || m.TTFTUS.Min != min(a.TTFTUS.Min, b.TTFTUS.Min) || m.ITLUS == nil || m.TPOTUS == nil {
		t.Errorf("merged ttft %+v from %+v and %+v", m.TTFTUS, a.TTFTUS, b.TTFTUS)
	}
	if m.Goodput == nil || *m.Goodput != float64(m.Good)/float64(m.Requests) {
		t.Errorf("merged goodput %v of %d good in %d", m.Goodput, m.Good, m.Requests)
	}
	counts, err := record.HlogCounts(filepath.Join(out, record.StreamHlogFile))
	if err != nil {
		t.Fatal(err)
	}
	if counts["chat#ttft"] != m.OK || counts["#e2e"] != merged.Overall.Stream.OK {
		t.Errorf("merged stream.hlog counts %v, want the merged run's", counts)
	}
}

// TestStreamMetricOrder: the recorder's stream histograms are indexed in
// the order of record.StreamMetrics, which names them in stream.hlog.
func TestStreamMetricOrder(t *testing.T) {
	t.Parallel()
	want := map[int]string{smTTFT: record.StreamTTFT, smTTFTService: record.StreamTTFTService, smTTFB: record.StreamTTFB,
		smITL: record.StreamITL, smTPOT: record.StreamTPOT, smE2E: record.StreamE2E, smTokens: record.StreamOutputTokens}
	if len(record.StreamMetrics) != numStreamMetrics || len(want) != numStreamMetrics {
		t.Fatalf("%d stream metrics in record, %d in the recorder", len(record.StreamMetrics), numStreamMetrics)
	}
	for i, name := range want {
		if record.StreamMetrics[i] != name {
			t.Errorf("histogram %d is %s, record names it %s", i, name, record.StreamMetrics[i])
		}
	}
}
