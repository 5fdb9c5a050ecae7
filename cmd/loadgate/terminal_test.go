package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"
	"unicode/utf8"
)

// termAttack is what a hostile target or metrics endpoint sends to the
// terminal of whoever runs loadgate: a screen clear, an OSC 52 write to the
// clipboard ended by a bell, a carriage return that overwrites the line,
// the C1 CSI both as a raw byte and as UTF-8, a bidirectional override, NEL
// and DEL.
const termAttack = "\x1b[2J\x1b]52;c;cHduZWQ=\x07\rFORGED \x9b31m\u009b31m\u202eevil\u0085\x7f"

// hostileTarget answers every request with termAttack as its status text
// (net/http hands a reason phrase over as it came): the health check with a
// JSON profile holding it, /metrics alternately with a hostile status and a
// body of exposition text holding it in a label value and as garbage.
func hostileTarget(t *testing.T) *httptest.Server {
	t.Helper()
	profile, err := json.Marshal(termAttack) // escaped as JSON: "\u001b[2J…"
	if err != nil {
		t.Fatal(err)
	}
	var scrapes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, ctype, body := 200, "text/plain", "ok"
		switch r.URL.Path {
		case "/api/health":
			ctype, body = "application/json", `{"profile":`+string(profile)+`}`
		case "/fail":
			code = 500
		case "/metrics":
			if scrapes.Add(1)%2 == 1 {
				code = 503
			} else {
				body = "# TYPE loadgate_cache_requests_total counter\nloadgate_cache_requests_total{cache=\"" + termAttack + "\",result=\"hit\"} 5\n" + termAttack + " 1\n"
			}
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nServer-Timing: \u202eevil\u009b31m;dur=1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
			code, termAttack, ctype, len(body), body)
		buf.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// termUnsafeShown finds the first character of out that acts on a
// terminal instead of showing: a control character other than the line
// feed (C0, DEL, C1 as UTF-8 or as a raw byte), a line or paragraph
// separator, a bidirectional override or isolate.
func termUnsafeShown(out string) (int, bool) {
	for i, r := range out {
		switch {
		case r == '\n':
		case r == utf8.RuneError && !strings.HasPrefix(out[i:], "\ufffd"):
			return i, true // a byte that is not UTF-8 (0x9b is CSI to an 8-bit terminal)
		case unicode.IsControl(r), r == '\u2028', r == '\u2029', r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return i, true
		}
	}
	return 0, false
}

const hostileScenario = `name: hostile
description: "a plan \e]52;c;cHduZWQ=\a\e[2J"
target:
  base_url: http://127.0.0.1:1
  health: %s
  headers: {X-Note: "\u202e\u009b31m"}
load:
  model: closed
  stages:
    - {duration: 1s, users: 2}
%s
requests:
  - {name: hello, method: GET, path: /hello}
gates:
  - error_rate < 50%%
metrics:
  url: ${METRICS}
  interval: 200ms
`

// TestHostileTextIsEscapedOnTheTerminal: whatever a target, a metrics
// endpoint or a scenario sends reaches stdout and stderr escaped (\x1b,
// \u202e …), never as a control character, on every path that prints it:
// a run and its gate table, a capacity search (dry run and a short one,
// whose answer names the target's profile), the plan of a dry run (the
// scenario's description and headers), the health check command, and the
// errors of a failed health check, a failed setup request and a
// scenario file. The health check command shows no password either.
func TestHostileTextIsEscapedOnTheTerminal(t *testing.T) {
	srv := hostileTarget(t)
	root := t.TempDir()
	scenario := func(health, setup string) string {
		return writeScenario(t, strings.Replace(fmt.Sprintf(hostileScenario, health, setup), "${METRICS}", srv.URL+"/metrics", 1))
	}
	ok := scenario("/api/health", "")
	// The health check command is given a URL with a password: not shown either.
	withUser := strings.Replace(srv.URL, "://", "://u:"+secretWord+"-health@", 1)
	for _, tt := range []struct {
		name string
		args []string
		code int
		// shows is what must be seen, escaped, in stdout+stderr.
		shows string
	}{
		{"a run", []string{"run", ok, "--target", srv.URL, "--out", filepath.Join(root, "run")}, 0, `\x1b[2J\x1b]52;c;cHduZWQ=\a\rFORGED `}, // the last scrape's status or its label value
		{"a dry run's plan", []string{"run", ok, "--target", srv.URL, "--dry-run"}, 0, `a plan \x1b]52;c;cHduZWQ=\a\x1b[2J`},
		{"a capacity search's plan", []string{"run", ok, "--target", srv.URL, "--find-capacity", "--dry-run"}, 0, "capacity search of hostile"},
		{"a capacity search", []string{"run", ok, "--target", srv.URL, "--results", root, "--find-capacity",
			"--capacity-start", "1", "--capacity-max", "2", "--step-hold", "600ms", "--step-ramp", "100ms", "--step-exclude", "100ms"}, 0, `profile \x1b[2J`},
		{"the health check", []string{"healthcheck", withUser + "/api/health"}, 0, `200 \x1b[2J\x1b]52;c;cHduZWQ=\a`},
		{"a failed health check", []string{"healthcheck", withUser + "/fail"}, 2, `500 \x1b[2J`},
		{"an unhealthy target", []string{"run", scenario("/fail", ""), "--target", srv.URL}, 2, `\x1b[2J`},
		{"a failed setup request", []string{"run", scenario("none", "setup:\n  - {name: login, method: POST, path: /fail}"), "--target", srv.URL}, 2, `\x1b[2J`},
		{"a scenario's unknown field", []string{"run", scenario("none", "\"\\e[2J\\u202e\": 1"), "--target", srv.URL, "--dry-run"}, 2, `\x1b[2J`},
	} {
		code, out, errs := runCLI(t, tt.args...)
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d\nstdout: %q\nstderr: %q", tt.name, code, tt.code, out, errs)
		}
		for name, text := range map[string]string{"stdout": out, "stderr": errs} {
			if i, bad := termUnsafeShown(text); bad {
				t.Errorf("%s: %s acts on the terminal at byte %d: …%q…", tt.name, name, i, text[max(0, i-60):min(len(text), i+40)])
			}
		}
		if strings.Contains(out+errs, secretWord) {
			t.Errorf("%s: a password is shown\nstdout: %q\nstderr: %q", tt.name, out, errs)
		}
		if !strings.Contains(out+errs, tt.shows) {
			t.Errorf("%s: the hostile text is not shown escaped (%s)\nstdout: %q\nstderr: %q", tt.name, tt.shows, out, errs)
		}
	}
}
