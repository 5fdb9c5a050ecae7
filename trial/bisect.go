package trial

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/loadgate/loadgate/history"
	"github.com/loadgate/loadgate/leftovers"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/report"
	"github.com/loadgate/loadgate/scenarios"
)

// BisectPlan is what `loadgate bisect` asks: which commits, which metric,
// how to start the target at each commit and how many runs make a
// commit's measurement.
type BisectPlan struct {
	// Good and Bad are revisions: the metric was fine at Good and is
	// slower at Bad.
	Good, Bad string
	// Metric is what is compared, "ENDPOINT.p95" (Options.MaxRegression's
	// names: p50 … max, of an endpoint or the whole run).
	Metric string
	// Plan is the scenario run at each commit, against the target Command
	// starts (its Target, Duration, Rate apply; Root is where the runs go).
	Plan Plan
	// Command is the argv (no shell) that builds and starts the target at
	// each commit, run in Repo; loadgate waits until the scenario's target
	// address accepts connections, and kills its process group after the
	// commit's runs.
	Command []string
	// Repo is the git checkout to bisect ("" the working directory).
	Repo string
	// Runs is how many runs measure one commit; default DefaultBisectRuns.
	Runs int
	// MaxRegression is the slowdown against Good that makes a commit bad
	// when it is beyond noise; default report.DefaultMaxRegression.
	MaxRegression float64
	// Ready bounds the wait for the target at each commit; default
	// DefaultBisectReady.
	Ready time.Duration
}

// Defaults of a bisect.
const (
	DefaultBisectRuns  = 3
	DefaultBisectReady = 2 * time.Minute
)

// BisectResult is what a bisect found.
type BisectResult struct {
	// FirstBad is the first bad commit (full hash); empty when the skipped
	// commits left it among several (Candidates).
	FirstBad   string
	Candidates []string
	// Good and FirstBadRuns are the two distributions: the good commit's
	// runs and the first bad commit's.
	GoodRuns, FirstBadRuns []record.PastRun
	// Delta compares them.
	Delta report.Delta
}

// commitVerdict is how a commit's runs compare with the good and the bad
// commit's.
type commitVerdict string

const (
	commitGood commitVerdict = "good"
	commitBad  commitVerdict = "bad"
	commitSkip commitVerdict = "skip"
)

// Bisect finds the first commit between b.Good and b.Bad at which b.Metric
// got slower beyond noise: git bisect, with each commit marked by runs of
// the scenario against the target b.Command starts there. A commit is bad
// when its runs are slower than the good commit's by more than
// b.MaxRegression and the rank test says it is beyond noise; good when
// they are not, and are faster than the bad commit's beyond noise;
// otherwise, or when its target does not start, it is skipped (as `git
// bisect run` skips on exit 125). The repository is left as it was found:
// its branch or detached HEAD (git bisect reset, also after an error or
// an interrupt); a checkout with changes to tracked files is refused.
func Bisect(ctx context.Context, env Env, b BisectPlan) (*BisectResult, error) {
	if b.Runs <= 0 {
		b.Runs = DefaultBisectRuns
	}
	if b.MaxRegression <= 0 {
		b.MaxRegression = report.DefaultMaxRegression
	}
	if b.Ready <= 0 {
		b.Ready = DefaultBisectReady
	}
	if len(b.Command) == 0 {
		return nil, errors.New("bisect: no command to start the target (after --)")
	}
	if _, err := report.ParseMaxRegression(b.Metric + "=0"); err != nil {
		return nil, fmt.Errorf("bisect --metric %s: %w", b.Metric, err)
	}
	sc, _, err := resolve(env, b.Plan, false)
	if err != nil {
		return nil, err
	}
	g := gitIn(b.Repo)
	if err := g.checkClean(ctx); err != nil {
		return nil, err
	}
	good, err := g.out(ctx, "rev-parse", "--verify", b.Good+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("bisect --good %s: %w", b.Good, err)
	}
	bad, err := g.out(ctx, "rev-parse", "--verify", b.Bad+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("bisect --bad %s: %w", b.Bad, err)
	}
	if b.Plan.Root == "" {
		if b.Plan.Root, err = os.MkdirTemp("", "loadgate-bisect-"); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(env.Stderr, "bisect: runs in %s\n", b.Plan.Root)
	first, err := g.out(ctx, "bisect", "start", bad, good)
	if err != nil {
		return nil, err
	}
	defer func() {
		// Also after an error or an interrupt: ctx may be done.
		rctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := g.out(rctx, "bisect", "reset"); err != nil {
			fmt.Fprintf(env.Stderr, "loadgate: bisect reset: %v (run git bisect reset in %s)\n", err, g.where())
		}
	}()
	mid, err := g.out(ctx, "rev-parse", "HEAD")
	if err != nil {
		return nil, err
	}
	s := &bisector{env: env, b: b, sc: sc, g: g, measured: map[string][]record.PastRun{}}
	// The two ends first: bad must be slower than good beyond noise.
	if s.good, err = s.measure(ctx, good); err != nil {
		return nil, fmt.Errorf("the good commit %s: %w", short(good), err)
	}
	if s.bad, err = s.measure(ctx, bad); err != nil {
		return nil, fmt.Errorf("the bad commit %s: %w", short(bad), err)
	}
	d, err := report.CompareRuns(s.good, s.bad, b.Metric, 0)
	if err != nil {
		return nil, fmt.Errorf("comparing the good and the bad commit: %w", err)
	}
	if !d.Significant || d.Change <= b.MaxRegression {
		return nil, fmt.Errorf("the bad commit %s is not slower than the good one %s by more than %s beyond noise: %s",
			short(bad), short(good), strings.TrimPrefix(fmtPct(b.MaxRegression), "+"), d.Words())
	}
	fmt.Fprintf(env.Stderr, "bisect: %s (good %s → bad %s)\n", d.Words(), short(good), short(bad))
	outcome := first
	if !strings.Contains(outcome, "is the first bad commit") {
		if _, err := g.out(ctx, "checkout", "-q", mid); err != nil {
			return nil, err
		}
		for !strings.Contains(outcome, "is the first bad commit") && !strings.Contains(outcome, "only 'skip'ped commits left") {
			head, err := g.out(ctx, "rev-parse", "HEAD")
			if err != nil {
				return nil, err
			}
			v := s.judge(ctx, head)
			if ctx.Err() != nil {
				return nil, fmt.Errorf("bisect interrupted at %s: %w", short(head), ctx.Err())
			}
			if outcome, err = g.out(ctx, "bisect", string(v)); err != nil {
				return nil, err
			}
		}
	}
	res := &BisectResult{GoodRuns: s.good}
	if strings.Contains(outcome, "only 'skip'ped commits left") {
		for _, line := range strings.Split(outcome, "\n") {
			if f := strings.Fields(line); len(f) > 0 && isHash(f[0]) {
				res.Candidates = append(res.Candidates, f[0])
			}
		}
		return res, fmt.Errorf("bisect: the first bad commit is one of %d commits that could not be judged (skipped): %s", len(res.Candidates), strings.Join(res.Candidates, " "))
	}
	res.FirstBad = strings.Fields(outcome)[0]
	res.FirstBadRuns = s.measured[res.FirstBad]
	if res.FirstBadRuns == nil { // the bad end itself
		res.FirstBadRuns = s.bad
	}
	res.Delta, _ = report.CompareRuns(s.good, res.FirstBadRuns, b.Metric, 0)
	return res, nil
}

// bisector measures and judges the commits of one bisect.
type bisector struct {
	env       Env
	b         BisectPlan
	sc        *scenarios.Scenario
	g         gitDir
	good, bad []record.PastRun
	// measured holds the runs of each commit measured, by full hash.
	measured map[string][]record.PastRun
}

// judge measures the checked-out commit and says whether it is good, bad
// or cannot be told.
func (s *bisector) judge(ctx context.Context, commit string) commitVerdict {
	runs, err := s.measure(ctx, commit)
	if err != nil {
		fmt.Fprintf(s.env.Stderr, "bisect: %s: skipped: %v\n", short(commit), err)
		return commitSkip
	}
	vsGood, err1 := report.CompareRuns(s.good, runs, s.b.Metric, 0)
	vsBad, err2 := report.CompareRuns(s.bad, runs, s.b.Metric, 0)
	v := commitSkip
	switch {
	case err1 != nil || err2 != nil:
		fmt.Fprintf(s.env.Stderr, "bisect: %s: skipped: %v\n", short(commit), errors.Join(err1, err2))
		return commitSkip
	case vsGood.Significant && vsGood.Change > s.b.MaxRegression:
		v = commitBad
	case vsBad.Significant && vsBad.Change < 0:
		v = commitGood
	}
	fmt.Fprintf(s.env.Stderr, "bisect: %s is %s: against good %s; against bad %s\n", short(commit), v, vsGood.Words(), vsBad.Words())
	return v
}

// measure checks commit out, starts the target there and runs the
// scenario b.Runs times against it; the target's processes are killed
// after. An error (the target did not start, a run failed) means the
// commit cannot be judged.
func (s *bisector) measure(ctx context.Context, commit string) ([]record.PastRun, error) {
	if _, err := s.g.out(ctx, "checkout", "-q", commit); err != nil {
		return nil, err
	}
	label := short(commit)
	fmt.Fprintf(s.env.Stderr, "bisect: %s: starting the target (%s)\n", label, strings.Join(s.b.Command, " "))
	stop, err := s.startTarget(ctx, commit)
	if err != nil {
		return nil, err
	}
	defer stop()
	var runs []record.PastRun
	for i := 1; i <= s.b.Runs; i++ {
		p := s.b.Plan
		p.Commit = label
		dir := filepath.Join(p.root(), fmt.Sprintf("%s-%d", label, i))
		quiet := s.env
		quiet.Stdout = io.Discard // the gate tables of the runs are not bisect's answer
		quiet.History = nil
		sc, _, err := resolve(s.env, p, false) // a scenario for each run, as compare has
		if err != nil {
			return nil, err
		}
		_, out, err := runOnce(ctx, quiet, p, sc, time.Time{}, steps{}, dir)
		if err != nil {
			return nil, err
		}
		if out.Incomplete {
			return nil, fmt.Errorf("run %s did not finish", dir)
		}
		run, err := record.ReadRun(dir)
		if err != nil {
			return nil, err
		}
		past, err := history.Past(dir, run)
		if err != nil {
			return nil, err
		}
		runs = append(runs, past)
	}
	s.measured[commit] = runs
	return runs, nil
}

// startTarget starts b.Command in the repository, in a process group of
// its own that dies with loadgate, and waits until the scenario's target
// address accepts connections. stop kills the group and waits for it.
func (s *bisector) startTarget(ctx context.Context, commit string) (stop func(), err error) {
	logPath := filepath.Join(s.b.Plan.root(), short(commit)+"-target.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(s.b.Command[0], s.b.Command[1:]...)
	cmd.Dir = s.g.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := leftovers.Start(cmd); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", s.b.Command[0], err)
	}
	exited := func() {}
	if s.env.Ledger != nil {
		exited = s.env.Ledger.Process("the target of bisect at "+short(commit), cmd.Process.Pid, true)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop = func() {
		pgid := cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL) // what it left in its group
		exited()
		logf.Close()
	}
	addr, err := dialAddr(s.sc.Target.BaseURL)
	if err != nil {
		stop()
		return nil, err
	}
	deadline := time.NewTimer(s.b.Ready)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return stop, nil
		}
		select {
		case err := <-done:
			done <- err // stop waits on it
			stop()
			return nil, fmt.Errorf("the target command exited before %s answered (%v): see %s%s", addr, err, logPath, logTail(logPath))
		case <-deadline.C:
			stop()
			return nil, fmt.Errorf("the target did not accept connections on %s within %s: see %s", addr, s.b.Ready, logPath)
		case <-ctx.Done():
			stop()
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// dialAddr is the host:port a base URL's requests go to.
func dialAddr(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("the scenario's target %q is not a URL to wait for", base)
	}
	if u.Port() != "" {
		return u.Host, nil
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443"), nil
	}
	return net.JoinHostPort(u.Hostname(), "80"), nil
}

// logTail is the last lines of a log, for an error.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 400 {
		b = b[len(b)-400:]
	}
	return ": …" + string(bytes.TrimSpace(b))
}

func short(commit string) string {
	if len(commit) > 10 {
		return commit[:10]
	}
	return commit
}

func isHash(s string) bool {
	if len(s) < 7 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

func fmtPct(r float64) string { return fmt.Sprintf("%g %%", r*100) }

// gitDir runs git in one checkout.
type gitDir struct{ dir string }

func gitIn(dir string) gitDir { return gitDir{dir: dir} }

func (g gitDir) where() string {
	if g.dir == "" {
		return "the working directory"
	}
	return g.dir
}

// out runs git and returns its output (stdout and stderr), trimmed.
func (g gitDir) out(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = g.dir
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(b.String()))
	}
	return strings.TrimSpace(b.String()), nil
}

// checkClean refuses a checkout a bisect could not leave as it found it: a
// bisect already under way, or changes to tracked files (which checking
// out other commits would carry along or refuse).
func (g gitDir) checkClean(ctx context.Context) error {
	if _, err := g.out(ctx, "rev-parse", "--git-dir"); err != nil {
		return fmt.Errorf("bisect: %s is not a git checkout: %w", g.where(), err)
	}
	if _, err := g.out(ctx, "bisect", "log"); err == nil {
		return fmt.Errorf("bisect: a git bisect is already under way in %s (git bisect reset ends it)", g.where())
	}
	st, err := g.out(ctx, "status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return err
	}
	if st != "" {
		return fmt.Errorf("bisect: %s has changes to tracked files: commit or stash them first\n%s", g.where(), st)
	}
	return nil
}
