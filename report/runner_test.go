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

// TestFinishOnRealRun finishes a run directory written by the real runner
// against a real HTTP server: what the runner writes, the report reads, and
// the histograms of latency.hlog add up to run.json's counts.
func TestFinishOnRealRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			fmt.Fprint(w, `{"status":"ok"}`)
		case "/slow":
			time.Sleep(20 * time.Millisecond)
			fmt.Fprint(w, "ok")
		default:
			fmt.Fprint(w, "ok")
		}
	}))
	defer srv.Close()
	src := fmt.Sprintf(`name: real
target:
  base_url: %s
  timeout: 5s
  health: /health
load:
  warmup: 500ms
  stages:
    - {duration: 2500ms, rate: 40/s}
requests:
  - {name: fast, weight: 3, path: /fast}
  - {name: slow, weight: 1, path: /slow}
gates: [p95 < 3s, fast.p99 < 2s, slow.p50 >= 20ms, error_rate < 1%%]
`, srv.URL)
	run, dir, out := finishRealRun(t, src, "real.yaml")
	if out.Verdict != record.VerdictPass {
		t.Errorf("verdict %s: %v", out.Verdict, out.Reasons)
	}
	d, err := loadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Series[""].Intervals) < 2 {
		t.Fatalf("%d intervals in %s", len(d.Series[""].Intervals), record.HlogFile)
	}
	for _, tag := range []string{"", "fast", "slow"} {
		s := d.Series[tag]
		want := run.Overall.Requests
		if tag != "" {
			want = run.Endpoints[tag].Requests
		}
		if s == nil || s.Total.TotalCount() != want {
			t.Errorf("series %q: the hlog holds %v requests, run.json %d", tag, s, want)
		}
	}
	page := readFile(t, filepath.Join(dir, record.ReportFile))
	if !strings.Contains(page, "slow.p50 &gt;= 20ms") || !strings.Contains(page, `id="latency"`) {
		t.Error("report.html lacks the gates or the latency chart")
	}
}
