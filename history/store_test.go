package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

// TestAddKeepsARunsFacts: what a run adds is what the store gives back —
// its identity, verdict, statistics, gates and one latency a second.
func TestAddKeepsARunsFacts(t *testing.T) {
	eachBackend(t, func(t *testing.T, url string) {
		s := open(t, url)
		dir := filepath.Join(t.TempDir(), "run")
		run := writeRun(t, dir, runSpec{Commit: "abc1234", Seconds: 12, Verdict: record.VerdictFail})
		added, err := s.Add(context.Background(), dir, run, "feature/x")
		if err != nil || !added {
			t.Fatalf("Add = %v, %v; want added", added, err)
		}
		runs, err := s.Runs(context.Background(), Filter{Scenario: "steady", Seconds: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 {
			t.Fatalf("%d runs, want 1", len(runs))
		}
		p := runs[0]
		got := p.Run
		if p.Kind != record.KindRun || p.Branch != "feature/x" || p.Dir != dir || got.Commit != "abc1234" ||
			got.PlanHash != run.PlanHash || !got.Started.Equal(run.Started) || got.Status != record.StatusCompleted ||
			p.Verdict() != record.VerdictFail || got.Plan.Timeout != 30*time.Second {
			t.Errorf("facts = %+v, run %+v", p, got)
		}
		ep, ok := got.Endpoints["search"]
		if !ok || ep.Requests != 240 || got.Overall.Requests != 240 {
			t.Fatalf("endpoints %+v overall %+v", got.Endpoints, got.Overall)
		}
		if l, ok := ep.LatencyOf(record.OK); !ok || l.P95 != run.Overall.LatencyOKUS.P95 {
			t.Errorf("search P95 = %v (%v), want %v", l.P95, ok, run.Overall.LatencyOKUS.P95)
		}
		if len(got.Gates) != 1 || got.Gates[0].Expr != "p95 < 3s" || *got.Gates[0].Value != run.Overall.LatencyOKUS.P95 {
			t.Errorf("gates = %+v", got.Gates)
		}
		secs := p.Seconds["search"]
		if len(secs) != 12 || len(p.Seconds[""]) != 12 {
			t.Fatalf("seconds: %d search, %d overall; want 12 each", len(secs), len(p.Seconds[""]))
		}
		for i, sec := range secs {
			if sec.Count != 20 || sec.P95 < 9000 || sec.P95 > 11100 || sec.T != float64(i) {
				t.Errorf("second %d = %+v", i, sec)
			}
		}
	})
}

// TestARunAddedTwiceIsOneRow: a run recorded when it ended and imported
// again later (here from a copy of its directory elsewhere) stays one row.
func TestARunAddedTwiceIsOneRow(t *testing.T) {
	eachBackend(t, func(t *testing.T, url string) {
		s := open(t, url)
		root := t.TempDir()
		dir := filepath.Join(root, "20261128-100000-steady")
		run := writeRun(t, dir, runSpec{Commit: "abc1234"})
		if added, err := s.Add(context.Background(), dir, run, "main"); err != nil || !added {
			t.Fatalf("Add = %v, %v", added, err)
		}
		var out bytes.Buffer
		n, err := s.Import(context.Background(), []string{root, dir}, "", &out)
		if err != nil {
			t.Fatal(err)
		}
		if n.Added != 0 || n.Present != 2 {
			t.Errorf("import = %+v, want both already there\n%s", n, out.String())
		}
		runs, err := s.Runs(context.Background(), Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 || runs[0].Branch != "main" {
			t.Errorf("runs = %+v, want the one recorded first", runs)
		}
	})
}

// TestImportWalksResultsDirectories: a results root's runs are added, its
// latest link is not followed twice, a run that did not finish is skipped
// and a corrupt run.json is named while the others go in.
func TestImportWalksResultsDirectories(t *testing.T) {
	eachBackend(t, func(t *testing.T, url string) {
		s := open(t, url)
		root := t.TempDir()
		for i := 0; i < 3; i++ {
			start := t0.Add(time.Duration(i) * time.Hour)
			writeRun(t, filepath.Join(root, start.Format(record.DirTimeFormat)+"-steady"), runSpec{Started: start, Commit: fmt.Sprint("c", i)})
		}
		if err := os.Symlink(t0.Format(record.DirTimeFormat)+"-steady", filepath.Join(root, record.LatestLink)); err != nil {
			t.Fatal(err)
		}
		writeRun(t, filepath.Join(root, "killed"), runSpec{Started: t0.Add(5 * time.Hour), Status: record.StatusRunning})
		bad := filepath.Join(root, "zz-corrupt")
		os.MkdirAll(bad, 0o755)
		os.WriteFile(filepath.Join(bad, record.RunFile), []byte("{not json"), 0o644)
		var out bytes.Buffer
		n, err := s.Import(context.Background(), []string{root}, "main", &out)
		if err != nil {
			t.Fatal(err)
		}
		if n.Added != 3 || n.Skipped != 1 || n.Failed != 1 || n.Present != 0 {
			t.Errorf("import = %+v\n%s", n, out.String())
		}
		if !strings.Contains(out.String(), filepath.Join(bad, record.RunFile)) {
			t.Errorf("the corrupt run.json is not named:\n%s", out.String())
		}
		runs, err := s.Runs(context.Background(), Filter{Branch: "main"})
		if err != nil || len(runs) != 3 {
			t.Fatalf("runs = %d, %v", len(runs), err)
		}
		for i, r := range runs { // oldest first
			if r.Run.Commit != fmt.Sprint("c", i) {
				t.Errorf("run %d has commit %s", i, r.Run.Commit)
			}
		}
	})
}

// TestConcurrentWritersLoseNothing: several writers, each with a store
// handle of its own (as shards and parallel CI jobs have), add runs at the
// same moment; every run is there after, once.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, url string) {
		const writers, each = 6, 3
		root := t.TempDir()
		type job struct {
			dir string
			run *record.Run
		}
		jobs := make([][]job, writers)
		for w := range jobs {
			for i := 0; i < each; i++ {
				start := t0.Add(time.Duration(w*each+i) * time.Minute)
				dir := filepath.Join(root, fmt.Sprintf("w%d-%d", w, i))
				jobs[w] = append(jobs[w], job{dir, writeRun(t, dir, runSpec{Started: start, Seconds: 20})})
			}
		}
		// One of the runs is added by two writers at once.
		jobs[1] = append(jobs[1], jobs[0][0])
		start := make(chan struct{})
		errs := make(chan error, writers)
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(context.Background(), url, Write)
				if err != nil {
					errs <- err
					return
				}
				defer s.Close()
				<-start
				for _, j := range jobs[w] {
					if _, err := s.Add(context.Background(), j.dir, j.run, "main"); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		s := open(t, url)
		runs, err := s.Runs(context.Background(), Filter{Seconds: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != writers*each {
			t.Fatalf("%d runs in the store, want %d", len(runs), writers*each)
		}
		for _, r := range runs {
			if len(r.Seconds["search"]) != 20 {
				t.Errorf("%s has %d seconds, want 20", r.Run.ID, len(r.Seconds["search"]))
			}
		}
	})
}

// TestConcurrentProcessesLoseNothing: processes (this test binary, run as
// writers) add runs to one SQLite file at once, creating it together.
func TestConcurrentProcessesLoseNothing(t *testing.T) {
	if dir := os.Getenv("HISTORY_TEST_WRITER_DIR"); dir != "" {
		t.Skip("a writer process")
	}
	const procs, each = 4, 3
	root := t.TempDir()
	url := DefaultURL(filepath.Join(root, "store"))
	for p := 0; p < procs; p++ {
		for i := 0; i < each; i++ {
			writeRun(t, filepath.Join(root, fmt.Sprintf("p%d", p), fmt.Sprint(i)),
				runSpec{Started: t0.Add(time.Duration(p*each+i) * time.Minute), Seconds: 10})
		}
	}
	var wg sync.WaitGroup
	outs := make([][]byte, procs)
	errs := make([]error, procs)
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := helperWriter(t, url, filepath.Join(root, fmt.Sprintf("p%d", p)))
			outs[p], errs[p] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for p := range errs {
		if errs[p] != nil {
			t.Errorf("writer %d: %v\n%s", p, errs[p], outs[p])
		}
	}
	s := open(t, url)
	runs, err := s.Runs(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != procs*each {
		t.Errorf("%d runs, want %d", len(runs), procs*each)
	}
}

// TestHelperWriter is the writer process of TestConcurrentProcessesLoseNothing.
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv("HISTORY_TEST_WRITER_DIR")
	if dir == "" {
		t.Skip("run by TestConcurrentProcessesLoseNothing")
	}
	s, err := Open(context.Background(), os.Getenv("HISTORY_TEST_WRITER_URL"), Write)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Import(context.Background(), []string{dir}, "main", os.Stdout); err != nil {
		t.Fatal(err)
	}
}

// TestStoreProblemsAreNamed: a store that is missing, corrupt or locked
// is an error that names it and says which.
func TestStoreProblemsAreNamed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope", FileName)
	if _, err := Open(ctx, "sqlite:"+missing, Read); err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing: %v", err)
	}
	corrupt := filepath.Join(dir, "corrupt.db")
	os.WriteFile(corrupt, bytes.Repeat([]byte("not a database "), 400), 0o644)
	if _, err := Open(ctx, "sqlite:"+corrupt, Write); err == nil || !strings.Contains(err.Error(), corrupt) || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt: %v", err)
	}
	if _, err := Open(ctx, "mysql://x", Write); err == nil || !strings.Contains(err.Error(), "sqlite:PATH") {
		t.Errorf("unknown scheme: %v", err)
	}

	url := "sqlite:" + filepath.Join(dir, "locked.db")
	holder := open(t, url)
	tx, err := holder.db.BeginTx(ctx, nil) // _txlock=immediate: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	s, err := Open(ctx, url, Write, WithBusyTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runDir := filepath.Join(dir, "run")
	run := writeRun(t, runDir, runSpec{})
	_, err = s.Add(ctx, runDir, run, "")
	if err == nil || !strings.Contains(err.Error(), "locked.db is locked") {
		t.Errorf("locked: %v", err)
	}
}

// TestSchemasDifferInTypesOnly: the SQLite and PostgreSQL migrations are
// the same schema written in each one's types.
func TestSchemasDifferInTypesOnly(t *testing.T) {
	norm := func(path string) string {
		b, err := migrationFiles.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := regexp.MustCompile(`(?m)--.*$`).ReplaceAllString(string(b), "")
		for _, r := range [][2]string{{"TIMESTAMPTZ", "T"}, {"TEXT", "T"}, {"DOUBLE PRECISION", "R"}, {"REAL", "R"}, {"BIGINT", "I"}, {"INTEGER", "I"}} {
			s = strings.ReplaceAll(s, r[0], r[1])
		}
		return strings.Join(strings.Fields(s), " ")
	}
	a, b := norm("migrations/sqlite/00001_history.sql"), norm("migrations/postgres/00001_history.sql")
	if a != b {
		t.Errorf("schemas differ beyond types:\nsqlite:   %s\npostgres: %s", a, b)
	}
}

var _ = errors.Is
