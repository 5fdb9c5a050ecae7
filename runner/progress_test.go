package runner

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestProgressPlain(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 2500ms, rate: 20/s}]\nrequests: [{name: a, path: /}]\n")
	var out bytes.Buffer
	_, dir, err := Run(context.Background(), sc, WithResultsRoot(t.TempDir()), WithProgress(&out), WithProgressEvery(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	checkLogs(t, dir)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 || strings.Contains(out.String(), "\r") {
		t.Fatalf("progress:\n%q", out.String())
	}
	for _, want := range []string{"1s / 3s", "target 20.0/s", "achieved", "p95", "errors 0", "left"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("progress line %q lacks %q", lines[0], want)
		}
	}
}

func TestProgressTTY(t *testing.T) {
	var out bytes.Buffer
	p := &progress{w: &out, tty: true, total: 10 * time.Second, unit: "/s"}
	p.update(status{elapsed: time.Second, target: 5, achieved: 5, p95us: 1500, requests: 5})
	p.update(status{elapsed: 2 * time.Second, target: 5, achieved: 5, p95us: 1500, requests: 10})
	p.done()
	if got := strings.Count(out.String(), "\r\033[K"); got != 2 || !strings.HasSuffix(out.String(), "\n") {
		t.Errorf("terminal progress %q", out.String())
	}
	if !strings.Contains(out.String(), "p95 1.5ms") {
		t.Errorf("terminal progress %q lacks the p95", out.String())
	}
}
