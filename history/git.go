package history

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"

	"github.com/loadgate/loadgate/record"
)

// git runs git in dir ("" the working directory) and returns its output,
// trimmed; an error quotes git's stderr.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// Environment variables Branch reads.
const (
	// EnvBranch names the branch runs are recorded on, in place of the
	// checkout's.
	EnvBranch = "LOADGATE_BRANCH"
	// envHeadRef is GitHub Actions' source branch of a pull request (its
	// checkout is a detached merge commit).
	envHeadRef = "GITHUB_HEAD_REF"
	// envRefName is GitHub Actions' branch of a push.
	envRefName = "GITHUB_REF_NAME"
)

// Branch is the git branch the runs of this process are made on:
// $LOADGATE_BRANCH, else a pull request's source branch on GitHub Actions
// ($GITHUB_HEAD_REF), else the branch checked out in dir, else
// $GITHUB_REF_NAME; "" when none of them says.
func Branch(ctx context.Context, dir string, getenv func(string) string) string {
	for _, k := range []string{EnvBranch, envHeadRef} {
		if v := getenv(k); v != "" {
			return v
		}
	}
	if b, err := git(ctx, dir, "symbolic-ref", "--short", "-q", "HEAD"); err == nil && b != "" {
		return b
	}
	return getenv(envRefName)
}

// MainBranch is the branch a pull request is judged against by default.
const MainBranch = "main"

// mergeBase is the merge base of HEAD and main (the local branch, else
// origin's), and the ref it was found with.
func mergeBase(ctx context.Context, dir string) (commit, ref string, err error) {
	for _, ref := range []string{MainBranch, "origin/" + MainBranch} {
		if _, err := git(ctx, dir, "rev-parse", "--verify", "-q", ref+"^{commit}"); err != nil {
			continue
		}
		mb, err := git(ctx, dir, "merge-base", "HEAD", ref)
		if err != nil {
			return "", "", err
		}
		return mb, ref, nil
	}
	return "", "", fmt.Errorf("no %s or origin/%s branch in the checkout", MainBranch, MainBranch)
}

// maxAncestors bounds how far back the baseline looks for runs.
const maxAncestors = 5000

// ancestors lists commit and the commits before it, newest first.
func ancestors(ctx context.Context, dir, commit string) ([]string, error) {
	out, err := git(ctx, dir, "rev-list", fmt.Sprintf("--max-count=%d", maxAncestors), commit)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// CommitOrder sorts runs in commit order, oldest first: by the position of
// their commit in the history of the checkout's HEAD in dir (git rev-list
// --topo-order), runs of one commit by start. Runs whose commit is not in
// that history (another branch, another checkout, none recorded) keep
// their place by start time among the others: they follow the newest run
// that started before them.
func CommitOrder(ctx context.Context, dir string, runs []record.PastRun) {
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Run.Started.Before(runs[j].Run.Started) })
	out, err := git(ctx, dir, "rev-list", "--topo-order", "--reverse", fmt.Sprintf("--max-count=%d", maxAncestors), "HEAD")
	if err != nil {
		return
	}
	pos := map[string]int{}
	for i, c := range strings.Fields(out) {
		pos[c] = i + 1
	}
	position := func(commit string) int {
		if commit == "" {
			return 0
		}
		for c, p := range pos {
			if strings.HasPrefix(c, commit) {
				return p
			}
		}
		return 0
	}
	// Each run's key: its commit's position, or that of the last known run
	// before it in time.
	keys := make([]int, len(runs))
	last := 0
	for i, r := range runs {
		if p := position(r.Run.Commit); p > 0 {
			last = p
		}
		keys[i] = last
	}
	idx := make([]int, len(runs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	sorted := make([]record.PastRun, len(runs))
	for i, k := range idx {
		sorted[i] = runs[k]
	}
	copy(runs, sorted)
}
