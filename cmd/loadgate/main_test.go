package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/leftovers"
	"github.com/loadgate/loadgate/record"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, env{stdout: &out, stderr: &errb, getenv: stateDirOnly})
	return code, out.String(), errb.String()
}

// stateDirOnly is an environment with nothing set but the tests' state
// directory (TestMain).
func stateDirOnly(k string) string {
	if k == leftovers.EnvStateDir {
		return os.Getenv(k)
	}
	return ""
}

func writeScenario(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const okScenario = `name: cli
target:
  base_url: http://127.0.0.1:1
  health: none
load:
  stages:
    - {duration: 2s, rate: 20/s}
requests:
  - {name: hello, weight: 1, method: GET, path: /hello}
gates:
  - %s
`

func TestExitCodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close()

	cases := []struct {
		name     string
		args     []string
		code     int
		contains string // in stdout+stderr
	}{
		// An unknown command is a usage error.
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		// A gate that holds: exit 0 and the table.
		{"pass", []string{"run", writeScenario(t, fmt.Sprintf(okScenario, "error_rate < 1%")), "--target", srv.URL, "--out", filepath.Join(t.TempDir(), "r")}, 0, "PASS"},
		// A gate that cannot hold: exit 1.
		{"gate fails", []string{"run", writeScenario(t, fmt.Sprintf(okScenario, "p95 < 1us")), "--target", srv.URL, "--out", filepath.Join(t.TempDir(), "r")}, 1, "FAIL"},
		// A gate on a series the target never exposed (its /metrics does
		// not answer): exit 2, never a pass.
		{"gate unknown", []string{"run", writeScenario(t, fmt.Sprintf(okScenario, "cache_hit_rate > 60%\nmetrics:\n  url: http://127.0.0.1:1/metrics\n  series: {cache_hit_rate: 'ratio(increase(c_total{r=\"hit\"}), increase(c_total))'}")), "--target", srv.URL, "--out", filepath.Join(t.TempDir(), "r")}, 2, "cache_hit_rate"},
		// A stopped target: exit 2 naming the URL, nothing sent.
		{"target down", []string{"run", "smoke", "--target", down}, 2, down},
		// A bad scenario names file, line and field.
		{"bad scenario", []string{"run", writeScenario(t, "name: x\nload:\n  stagez: 1\n")}, 2, `s.yaml:3:3: load.stagez: unknown field`},
		// A bad gate expression on the command line.
		{"bad gate flag", []string{"run", "smoke", "--gate", "p95 <", "--dry-run"}, 2, "p95 <"},
		// The plan of a built-in, with its gates.
		{"dry run", []string{"run", "steady", "--dry-run", "--duration", "30s"}, 0, "cache_hit_rate > 60%"},
		// gate on a directory that is not a run.
		{"gate missing run", []string{"gate", t.TempDir()}, 2, "run.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCLI(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, out, errs)
			}
			if !strings.Contains(out+errs, c.contains) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", c.contains, out, errs)
			}
			if i := slices.Index(c.args, "--out"); i >= 0 && c.args[0] == "run" {
				checkLogs(t, c.args[i+1])
			}
		})
	}
}

// checkLogs asserts that a run directory's interval logs hold exactly the
// requests its run.json counts, per endpoint and outcome.
func checkLogs(t *testing.T, dir string) {
	t.Helper()
	if err := record.CheckLogs(dir); err != nil {
		t.Error(err)
	}
}
