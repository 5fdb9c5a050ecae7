package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// forged is what a hostile target, metrics endpoint, command or scenario
// puts after a line feed, hoping it reads as loadgate's own verdict line.
const forged = "FORGED-LINE PASS — all gates hold"

// TestOutsideLineFeedsStayInTheirLine: a line feed in outside text never
// starts a line of loadgate's output with that text: the target's profile
// (in the capacity answer), a metrics label value, an exec fault's output
// (in the fault's line), a scenario's description (the dry run's plan, where
// its lines are indented under the first). The text itself is shown, its
// line feed escaped ("\n") or its continuation indented.
func TestOutsideLineFeedsStayInTheirLine(t *testing.T) {
	profile, err := json.Marshal("fine\n" + forged)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/health":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"profile":%s}`, profile)
		case "/metrics":
			fmt.Fprintf(w, "# TYPE loadgate_cache_requests_total counter\nloadgate_cache_requests_total{cache=\"a\\n%s\",result=\"hit\"} 5\n", forged)
		default:
			fmt.Fprint(w, "ok\n"+forged)
		}
	}))
	t.Cleanup(srv.Close)
	const talk = `faults:
  - {name: talk, at: 100ms, action: exec, run: [sh, -c, 'printf "oops\n%s"; exit 3']}
`
	text := fmt.Sprintf(`name: hostile
description: "a plan\n%s"
target:
  base_url: %s
  health: /api/health
load:
  model: closed
  stages:
    - {duration: 1s, users: 2}
requests:
  - {name: hello, method: GET, path: /hello}
gates:
  - error_rate < 50%%
metrics:
  url: %s/metrics
  interval: 200ms
`, forged, srv.URL, srv.URL)
	// The capacity search takes no exec fault.
	scenario, withFault := writeScenario(t, text), writeScenario(t, text+fmt.Sprintf(talk, forged))
	// Without gates the command's last line is the verdict's first reason,
	// which quotes the failed drill's output.
	noGates := writeScenario(t, strings.Replace(text, "gates:\n  - error_rate < 50%\n", "", 1)+fmt.Sprintf(talk, forged))
	root := t.TempDir()
	for _, tt := range []struct {
		name string
		args []string
		// shows is the outside text as it must be shown.
		shows string
	}{
		{"a run", []string{"run", withFault, "--out", filepath.Join(root, "run")}, `oops\n` + forged},
		{"a run without gates", []string{"run", noGates, "--out", filepath.Join(root, "run-no-gates")}, `oops\n` + forged},
		{"a dry run's plan", []string{"run", scenario, "--dry-run"}, "a plan\n          " + forged},
		{"a capacity search", []string{"run", scenario, "--results", root, "--find-capacity",
			"--capacity-start", "1", "--capacity-max", "2", "--step-hold", "600ms", "--step-ramp", "100ms", "--step-exclude", "100ms"}, `profile fine\n` + forged},
	} {
		_, out, errs := runCLI(t, tt.args...)
		for name, text := range map[string]string{"stdout": out, "stderr": errs} {
			for i, line := range strings.Split(text, "\n") {
				if strings.HasPrefix(line, "FORGED-LINE") {
					t.Errorf("%s: line %d of %s is outside text: %q\n%s", tt.name, i+1, name, line, text)
				}
			}
		}
		if !strings.Contains(out+errs, tt.shows) {
			t.Errorf("%s: the outside text is not shown as %q\nstdout: %s\nstderr: %s", tt.name, tt.shows, out, errs)
		}
	}
}
