package runner

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/loadgate/loadgate/scenarios"
)

// TestFlowJSONCheckOnPlainText: a target that answers 200 with plain text
// fails a step's json checks, even one that wants the path absent: a body
// that is not JSON has no path at all. The failures count as such in
// run.json (checks.<name>.not_json).
func TestFlowJSONCheckOnPlainText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			return
		case "/json":
			w.Write([]byte(`{"ok": true}`))
			return
		}
		w.Write([]byte("internal error\nPASS"))
	}))
	t.Cleanup(srv.Close)
	sc := journeyScenario(t, t.TempDir(), srv.URL, `load:
  stages: [{duration: 400ms, rate: 20/s}]
flows:
  - name: f
    steps:
      - name: json
        path: /json
        check: [{json: $.error, exists: false}]
      - name: text
        path: /text
        check: [{json: $.error, exists: false}]
`)
	run, _ := runJourney(t, sc)
	if js := run.Endpoints["f.json"].Checks["$.error absent"]; js.Failed != 0 || js.Passed != run.Endpoints["f.json"].Requests {
		t.Errorf("on a JSON body: %+v", js)
	}
	text := run.Endpoints["f.text"]
	c := text.Checks["$.error absent"]
	if text.Requests == 0 || c.Failed != text.Requests || c.Passed != 0 || c.NotJSON != c.Failed || text.Errors["check"] != text.Requests {
		t.Errorf("on plain text: %d requests, check %+v, errors %v; want every check failed, not JSON", text.Requests, c, text.Errors)
	}
}

// TestJSONChecksNeedAJSONBody: every condition of a json check fails on a
// body that is not JSON (text, nothing, JSON followed by more, JSON cut
// short when the body ended there), with the reason "not JSON"; a body cut
// at max_body is JSON as far as it goes, and a JSON body keeps its verdicts.
func TestJSONChecksNeedAJSONBody(t *testing.T) {
	t.Parallel()
	no := false
	one := "1"
	checks := []scenarios.Check{{JSON: "$.error", Exists: &no}, {JSON: "$.a"}, {JSON: "$.a", Equals: &one}, {JSON: "$.a", Compare: "> 0"}, {JSON: "$.a", Matches: "."}}
	for _, tt := range []struct {
		name, body string
		cut        bool // the body went on beyond max_body
		notJSON    bool
	}{
		{"text", "internal error", false, true},
		{"empty", "", false, true},
		{"JSON then text", `{"a": 1} PASS`, false, true},
		{"unfinished", `{"a": 1, "b": [1, 2`, false, true},
		{"cut at max_body", `{"a": 1, "b": [1, 2`, true, false},
		{"text cut at max_body", `internal error`, true, true},
		{"JSON", ` {"a": 1} `, false, false},
	} {
		for _, c := range checks {
			cc, err := compileCheck(c, varScope{})
			if err != nil {
				t.Fatal(err)
			}
			st := &compiledStep{checks: []compiledCheck{cc}}
			ev := flowEvent{extractFailed: -1}
			checkWorker().judge(st, &response{code: 200, body: []byte(tt.body), cut: tt.cut}, &ev)
			failed, notJSON := ev.checksFailed&1 != 0, ev.checksNotJSON&1 != 0
			switch {
			case tt.notJSON && (!failed || !notJSON || ev.res.kind != kindCheck):
				t.Errorf("%s: %s: failed %v, not JSON %v, kind %v; want a failed check, not JSON", tt.name, cc.label, failed, notJSON, ev.res.kind)
			case !tt.notJSON && (failed || notJSON):
				t.Errorf("%s: %s: failed %v, not JSON %v; want it to pass", tt.name, cc.label, failed, notJSON)
			}
		}
	}
}
