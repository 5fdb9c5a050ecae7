package report

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// TestFinishOnFlowRun: a run with a flow gets its gates on steps,
// iterations and checks evaluated, and its flows and checks tabled in
// report.html and summary.md.
func TestFinishOnFlowRun(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			fmt.Fprintf(w, `{"token": "t%d"}`, n.Add(1))
		case "/order":
			if n.Add(1)%5 == 0 {
				fmt.Fprint(w, `{"status": "error"}`)
				return
			}
			fmt.Fprint(w, `{"status": "ok"}`)
		}
	}))
	defer srv.Close()
	src := fmt.Sprintf(`name: flowrun
target: {base_url: %s, timeout: 5s, health: none}
load:
  stages: [{duration: 1500ms, rate: 20/s}]
flows:
  - name: buyer
    steps:
      - name: login
        method: POST
        path: /login
        extract: {token: {json: $.token}}
      - name: order
        path: /order
        headers: {Authorization: "Bearer {{token}}"}
        check: [{name: order ok, json: $.status, equals: ok}]
gates: [buyer.login.p95 < 2s, buyer.iteration.p95 < 3s, checks > 99%%]
`, srv.URL)
	run, dir, out := finishRealRun(t, src, "flowrun.yaml")
	verdicts := map[string]string{}
	for _, g := range out.Gates {
		verdicts[g.Expr] = g.Verdict
	}
	if verdicts["buyer.login.p95 < 2s"] != record.VerdictPass || verdicts["buyer.iteration.p95 < 3s"] != record.VerdictPass || verdicts["checks > 99%"] != record.VerdictFail {
		t.Errorf("gates %v: want the step and iteration gates to pass and the checks gate (some orders fail) to fail", verdicts)
	}
	failed := run.Endpoints["buyer.order"].Checks["order ok"].Failed
	if failed == 0 {
		t.Fatal("no order check failed: the case tests nothing")
	}
	page := readFile(t, filepath.Join(dir, record.ReportFile))
	for _, want := range []string{`id="flows"`, `<td>buyer</td>`, `id="checks"`, `<td>buyer.order</td><td>order ok</td>`, fmt.Sprintf("<td>%d</td></tr>", failed)} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	summary := readFile(t, filepath.Join(dir, record.SummaryFile))
	for _, want := range []string{"| flow | iterations |", "| buyer | 30 |", fmt.Sprintf("| buyer.order | order ok | %d | %d |", run.Endpoints["buyer.order"].Checks["order ok"].Passed, failed)} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary.md lacks %q:\n%s", want, summary)
		}
	}
}

// TestCheckRowsSayNotJSON: a check's failures on bodies that were not JSON
// are said in its row; a check without them shows the count alone.
func TestCheckRowsSayNotJSON(t *testing.T) {
	t.Parallel()
	run := &record.Run{
		Flows: map[string]record.FlowStats{"f": {Steps: []string{"f.s"}}},
		Endpoints: map[string]record.Stats{"f.s": {Checks: map[string]record.CheckCount{
			"$.error absent": {Passed: 2, Failed: 5, NotJSON: 3},
			"status 200":     {Passed: 7},
		}}},
	}
	got := map[string]string{}
	for _, r := range checkRows(run) {
		got[r.Check] = r.Failed
	}
	if got["$.error absent"] != "5 (3 not JSON)" || got["status 200"] != "0" {
		t.Errorf("failed cells %q", got)
	}
}
