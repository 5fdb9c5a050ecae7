package trial

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/redact"
)

// TestHelperTarget is the target of TestBisectFindsTheSlowCommit, run as a
// process at each commit: it answers /work after the delay, in
// milliseconds, that the checkout's delay.txt says.
func TestHelperTarget(t *testing.T) {
	addr := os.Getenv("BISECT_TEST_ADDR")
	if addr == "" {
		t.Skip("the target process of TestBisectFindsTheSlowCommit")
	}
	b, err := os.ReadFile("delay.txt")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	http.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	})
	t.Fatal(http.ListenAndServe(addr, nil))
}

// bisectRepo makes a repository whose target slows down from commit
// slowFrom on (of commits 0…n-1) and returns it with a git runner.
func bisectRepo(t *testing.T, n, slowFrom int) (string, func(args ...string) string) {
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	for i := 0; i < n; i++ {
		delay := 2
		if i >= slowFrom {
			delay = 25
		}
		os.WriteFile(filepath.Join(dir, "delay.txt"), []byte(strconv.Itoa(delay)), 0o644)
		os.WriteFile(filepath.Join(dir, "change.txt"), []byte(strconv.Itoa(i)), 0o644)
		git("add", "delay.txt", "change.txt")
		git("commit", "-q", "-m", fmt.Sprint("commit ", i))
	}
	return dir, git
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestBisectFindsTheSlowCommit: a repository whose /work slows down from
// its fifth commit on is bisected to that commit, from the first (good)
// and the last (bad); the checkout is left on its branch, unchanged, and
// no target process is left.
func TestBisectFindsTheSlowCommit(t *testing.T) {
	repo, git := bisectRepo(t, 8, 4)
	git("checkout", "-q", "-b", "work")
	untracked := filepath.Join(repo, "notes.txt")
	os.WriteFile(untracked, []byte("mine"), 0o644)
	head := git("rev-parse", "HEAD")
	want := git("rev-list", "--reverse", "HEAD")
	firstSlow := strings.Fields(want)[4]
	addr := freeAddr(t)
	scen := filepath.Join(t.TempDir(), "s.yaml")
	os.WriteFile(scen, []byte(`name: bisected
target:
  base_url: http://`+addr+`
  health: none
load:
  stages:
    - {duration: 4s, rate: 25/s}
requests:
  - {name: work, path: /work}
`), 0o644)
	var stdout, stderr bytes.Buffer
	env := Env{Stdout: redact.NewTerminalWriter(&stdout), Stderr: &stderr, Getenv: func(k string) string { return "" }, Version: "test"}
	t.Setenv("BISECT_TEST_ADDR", addr)
	res, err := Bisect(context.Background(), env, BisectPlan{
		Good: "main~7", Bad: "main", Metric: "work.p95", Repo: repo, Runs: 2,
		Plan:    Plan{Scenario: scen, Root: t.TempDir()},
		Command: []string{os.Args[0], "-test.run=^TestHelperTarget$", "-test.count=1"},
	})
	if err != nil {
		t.Fatalf("bisect: %v\n%s", err, stderr.String())
	}
	if res.FirstBad != firstSlow {
		t.Errorf("first bad commit %s, want %s\n%s", res.FirstBad, firstSlow, stderr.String())
	}
	if !res.Delta.Significant || res.Delta.Change < 1 || len(res.GoodRuns) != 2 || len(res.FirstBadRuns) != 2 {
		t.Errorf("distributions: %+v, %d and %d runs", res.Delta, len(res.GoodRuns), len(res.FirstBadRuns))
	}
	if b := git("symbolic-ref", "--short", "HEAD"); b != "work" {
		t.Errorf("left on %q, want branch work", b)
	}
	if h := git("rev-parse", "HEAD"); h != head {
		t.Errorf("HEAD %s, want %s", h, head)
	}
	if st := git("status", "--porcelain"); st != "?? notes.txt" {
		t.Errorf("status after bisect: %q", st)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("the target is still answering after the bisect")
	}
}

// TestBisectRefusesADirtyCheckout: changes to tracked files would be
// carried along or lost: refused before anything runs, and the checkout
// is as it was.
func TestBisectRefusesADirtyCheckout(t *testing.T) {
	repo, git := bisectRepo(t, 3, 2)
	os.WriteFile(filepath.Join(repo, "delay.txt"), []byte("7"), 0o644)
	var stderr bytes.Buffer
	_, err := Bisect(context.Background(), Env{Stdout: &stderr, Stderr: &stderr, Getenv: func(string) string { return "" }},
		BisectPlan{Good: "main~2", Bad: "main", Metric: "work.p95", Repo: repo, Plan: Plan{Scenario: "smoke"}, Command: []string{"true"}})
	if err == nil || !strings.Contains(err.Error(), "changes to tracked files") {
		t.Fatalf("err = %v", err)
	}
	if st := git("status", "--porcelain"); st != "M delay.txt" {
		t.Errorf("status %q", st)
	}
}
