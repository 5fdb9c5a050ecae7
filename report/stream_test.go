package report

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

// TestStreamSectionOnRealRun: a run of streamed requests against a real SSE
// server is judged by its stream gates and drawn with the stream section:
// its table, TTFT, ITL and TPOT over time and by percentile, tokens per
// second, how the tokens were counted, and the definitions table.
func TestStreamSectionOnRealRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		send := func(data string) {
			fmt.Fprintf(w, "data: %s\n\n", data)
			w.(http.Flusher).Flush()
		}
		send(`{"choices":[{"delta":{"role":"assistant","content":""}}]}`)
		time.Sleep(30 * time.Millisecond)
		for i := range 4 {
			if i > 0 {
				time.Sleep(5 * time.Millisecond)
			}
			send(`{"choices":[{"delta":{"content":"word "}}]}`)
		}
		if r.URL.Path == "/usage" {
			send(`{"choices":[],"usage":{"completion_tokens":8}}`)
		}
		send("[DONE]")
	}))
	defer srv.Close()
	src := fmt.Sprintf(`name: streamed
target: {base_url: %s, timeout: 5s, health: /health}
load:
  stages: [{duration: 2s, rate: 20/s}]
requests:
  - {name: chat, method: POST, path: /usage, body: "{}", stream: sse}
  - {name: plain_count, method: POST, path: /count, body: "{}", stream: sse}
slo: {ttft: 2s, tpot: 1s}
gates: [ttft.p95 < 2s, chat.tpot.p50 < 1s, goodput >= 90%%, tokens_per_s > 1/s]
`, srv.URL)
	_, dir, out := finishRealRun(t, src, "streamed.yaml")
	if out.Verdict != record.VerdictPass {
		t.Errorf("verdict %s: %v", out.Verdict, out.Reasons)
	}
	d, err := loadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s := d.Stream[record.StreamTag("", record.StreamTTFT)]; s == nil || s.Total.TotalCount() != d.Run.Overall.Stream.OK {
		t.Errorf("stream.hlog's whole-run TTFT %v, run.json counts %d successful streams", s, d.Run.Overall.Stream.OK)
	}
	if md := readFile(t, filepath.Join(dir, record.SummaryFile)); !strings.Contains(md, "| all streamed |") || !strings.Contains(md, "usage and content events") {
		t.Errorf("summary.md lacks the streams' table:\n%s", md)
	}
	page := readFile(t, filepath.Join(dir, record.ReportFile))
	for _, want := range []string{`id="streams"`, `id="ttft"`, `id="itl"`, `id="tpot"`, `id="streamdist"`, `id="tokens"`, `id="stream-definitions"`,
		"chat: from usage.completion_tokens", "plain_count: as content events", "Inter Chunk Latency", "met the slo: TTFT ≤ 2 s and TPOT ≤ 1 s", "goodput &gt;= 90%"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %s", want)
		}
	}
}
