package runner

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/redact"
)

func TestProgressPlain(t *testing.T) {
	srv := okServer(t, nil)
	sc := scenarioFor(t, srv.URL, "load:\n  stages: [{duration: 2500ms, rate: 20/s}]\nrequests: [{name: a, path: /}]\n")
	var out bytes.Buffer
	_, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()), WithProgress(&out), WithProgressEvery(time.Second))
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
	t.Parallel()
	var out bytes.Buffer
	p := &progress{w: &console{w: &out}, tty: true, total: 10 * time.Second, unit: "/s"}
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

// On a terminal, a line written while the live line is shown takes its
// place and the live line is drawn again below it; once the live line has
// ended, lines are written as they are.
func TestProgressTTYOtherLines(t *testing.T) {
	var out bytes.Buffer
	c := &console{w: &out}
	p := &progress{w: c, tty: true, total: 10 * time.Second, unit: "/s"}
	log := redact.NewTerminalWriter(c)
	fmt.Fprintln(log, "before")
	p.update(status{elapsed: time.Second, target: 5, achieved: 5, requests: 5})
	fmt.Fprintln(log, "    1.0s  fault slow: undone")
	p.update(status{elapsed: 2 * time.Second, target: 5, achieved: 5, requests: 10})
	p.done()
	fmt.Fprintln(log, "after")
	got := shownLines(out.String())
	want := []string{"before", "    1.0s  fault slow: undone", "2s / 10s", "after", ""}
	if len(got) != len(want) {
		t.Fatalf("shown %q, want %q\n%q", got, want, out.String())
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d shown %q, want %q\n%q", i, got[i], want[i], out.String())
		}
	}
	if !strings.Contains(out.String(), "undone\n\r\x1b[K1s / 10s") {
		t.Errorf("the live line is not drawn again after the fault's:\n%q", out.String())
	}
}
