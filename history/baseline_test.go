package history

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

// gitRepo makes a repository in a temporary directory and returns it with
// a function that runs git there.
func gitRepo(t *testing.T) (string, func(args ...string) string) {
	t.Helper()
	dir := t.TempDir()
	run := func(args ...string) string {
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
	run("init", "-q", "-b", "main")
	return dir, run
}

// TestBaselineIsTheMergeBaseOfMain: a branch is judged by the runs at the
// commit it forked from and before, newest first — not by what main did
// since, nor by other branches; --baseline-branch takes a branch's newest;
// with no run to compare with, ErrNoBaseline says where it looked.
func TestBaselineIsTheMergeBaseOfMain(t *testing.T) {
	eachBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := open(t, url)
		repo, git := gitRepo(t)
		commit := func(msg string) string {
			git("commit", "-q", "--allow-empty", "-m", msg)
			return git("rev-parse", "--short", "HEAD")
		}
		var n int
		add := func(c, branch string, plan string) *record.Run {
			n++
			dir := filepath.Join(t.TempDir(), fmt.Sprint(n))
			run := writeRun(t, dir, runSpec{Commit: c, Started: t0.Add(time.Duration(n) * time.Minute), Plan: plan})
			if _, err := s.Add(ctx, dir, run, branch); err != nil {
				t.Fatal(err)
			}
			return run
		}
		c1, c2, c3 := commit("1"), commit("2"), commit("3")
		git("checkout", "-q", "-b", "feature")
		c5 := commit("5")
		git("checkout", "-q", "main")
		c4 := commit("4")
		git("checkout", "-q", "feature")
		add(c1, "main", "")
		add(c2, "main", "")
		add(c3, "main", "")
		add(c3, "main", "sha256:other-plan")
		add(c4, "main", "")
		add(c5, "feature", "")
		cur := writeRun(t, filepath.Join(t.TempDir(), "cur"), runSpec{Commit: c5, Started: t0.Add(time.Hour)})

		runs, how, err := s.Baseline(ctx, cur, BaselineRule{Runs: 2, Dir: repo})
		if err != nil {
			t.Fatal(err)
		}
		if got := commitsOf(runs); got != c2+" "+c3 {
			t.Errorf("baseline commits = %s, want %s %s (the merge base and the one before)", got, c2, c3)
		}
		if !strings.Contains(how, "the last 2 completed runs of plan sha256:plan-a") || !strings.Contains(how, "merge base of HEAD and main") {
			t.Errorf("how = %q", how)
		}
		if len(runs[0].Seconds["search"]) != 20 {
			t.Errorf("a baseline run has %d seconds, want 20", len(runs[0].Seconds["search"]))
		}

		runs, _, err = s.Baseline(ctx, cur, BaselineRule{Runs: 5, Branch: "main"})
		if err != nil {
			t.Fatal(err)
		}
		if got := commitsOf(runs); got != strings.Join([]string{c1, c2, c3, c4}, " ") {
			t.Errorf("--baseline-branch main: %s", got)
		}

		other := *cur
		other.PlanHash = "sha256:never-run"
		if _, how, err := s.Baseline(ctx, &other, BaselineRule{Dir: repo}); !errors.Is(err, ErrNoBaseline) || !strings.Contains(err.Error(), "merge base") {
			t.Errorf("no run of the plan: %q, %v", how, err)
		}
		// Outside a checkout: the newest runs on main.
		runs, how, err = s.Baseline(ctx, cur, BaselineRule{Runs: 1, Dir: t.TempDir()})
		if err != nil || commitsOf(runs) != c4 || !strings.Contains(how, "on branch main (no merge base") {
			t.Errorf("outside git: %s, %q, %v", commitsOf(runs), how, err)
		}
	})
}

func commitsOf(runs []record.PastRun) string {
	var cs []string
	for _, r := range runs {
		cs = append(cs, r.Run.Commit)
	}
	return strings.Join(cs, " ")
}

// TestBaselineOutsideGit: runs made outside a git checkout are recorded
// with no branch and no commit; a later run there is checked against
// them (there is no main to take), and runs on main still come first.
func TestBaselineOutsideGit(t *testing.T) {
	eachBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := open(t, url)
		for i := 1; i <= 3; i++ {
			dir := filepath.Join(t.TempDir(), fmt.Sprint(i))
			run := writeRun(t, dir, runSpec{Started: t0.Add(time.Duration(i) * time.Minute)})
			if _, err := s.Add(ctx, dir, run, ""); err != nil {
				t.Fatal(err)
			}
		}
		cur := writeRun(t, filepath.Join(t.TempDir(), "cur"), runSpec{Started: t0.Add(time.Hour)})
		runs, how, err := s.Baseline(ctx, cur, BaselineRule{Runs: 2, Dir: t.TempDir()})
		if err != nil {
			t.Fatalf("outside git, after 3 runs there: %v", err)
		}
		if len(runs) != 2 || !runs[0].Run.Started.Before(runs[1].Run.Started) || !strings.Contains(how, "recorded outside a git checkout") {
			t.Errorf("outside git: %d runs, %q", len(runs), how)
		}
		// A run on main is preferred to them.
		dir := filepath.Join(t.TempDir(), "main")
		if _, err := s.Add(ctx, dir, writeRun(t, dir, runSpec{Commit: "abc1234", Started: t0}), "main"); err != nil {
			t.Fatal(err)
		}
		runs, how, err = s.Baseline(ctx, cur, BaselineRule{Runs: 2, Dir: t.TempDir()})
		if err != nil || commitsOf(runs) != "abc1234" || !strings.Contains(how, "on branch main") {
			t.Errorf("outside git with a run on main: %s, %q, %v", commitsOf(runs), how, err)
		}
	})
}
