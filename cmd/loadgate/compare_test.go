package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/leftovers"
	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/testdb"
)

// envCLI makes the test binary act as the loadgate binary: compare starts
// the target as `os.Executable() serve …`, which in a test is this binary.
const envCLI = "LOADGATE_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(envCLI) == "1" {
		os.Exit(run(os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
	}
	os.Exit(testMain(m))
}

// testMain gives the tests, and the loadgate processes they start, a state
// directory of their own (leftovers.EnvStateDir): a drill a test leaves on
// on purpose is not reported to the user's next run.
func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "loadgate-test-state-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	os.Setenv(leftovers.EnvStateDir, dir)
	return m.Run()
}

const compareScenario = `name: cmp
target:
  base_url: http://127.0.0.1:1
  headers: {X-API-Key: dev-key}
  health: /api/health
load:
  stages:
    - {duration: 2s, rate: 20/s}
data:
  user: {range: [1, 50]}
  food_id: {range: [1, 2000]}
requests:
  - {name: search, weight: 2, path: "/api/v1/nutrition/search?q=apple&limit=5"}
  - name: log_meal
    weight: 1
    method: POST
    path: /api/v1/users/{{user}}/meals
    headers: {Content-Type: application/json}
    body: '{"food_id": {{food_id}}, "grams": 150}'
gates:
  - error_rate < 5%
`

// TestCompareEndToEnd runs compare on a small seeded database of its own:
// both runs, the comparison, and the database as it was.
func TestCompareEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the target twice")
	}
	ctx := context.Background()
	url := testdb.Fresh(t)
	if err := migrations.Up(ctx, url, migrations.WithoutIndexes()); err != nil {
		t.Fatal(err)
	}
	if err := seed.SeedURL(ctx, url, seed.Small()); err != nil {
		t.Fatal(err)
	}
	want := testdb.ReadFacts(t, url)
	t.Setenv(envCLI, "1")
	t.Setenv("DATABASE_URL", url)
	t.Setenv("LOADGATE_REDIS_PREFIX", fmt.Sprintf("loadgate-test:compare-%d:", os.Getpid()))
	root := t.TempDir()
	out := filepath.Join(root, "cmp")
	code, stdout, stderr := runCLI(t, "compare", writeScenario(t, compareScenario), "--out", out, "--results", root)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "comparison: "+out+"/report.html") {
		t.Errorf("stdout: %s", stdout)
	}
	for _, p := range []string{"report.html", "baseline/run.json", "optimized/run.json"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Error(err)
		}
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !strings.Contains(string(html), "baseline") || !strings.Contains(string(html), "optimized") {
		t.Error("the comparison does not name baseline and optimized")
	}
	for _, p := range []string{"baseline", "optimized"} {
		checkLogs(t, filepath.Join(out, p))
		run, _ := os.ReadFile(filepath.Join(out, p, "run.json"))
		if !strings.Contains(string(run), `"profile": "`+p+`"`) {
			t.Errorf("%s/run.json does not record profile %s", p, p)
		}
	}
	// latest names the comparison, the last thing made, and gate judges
	// it by its last run, the one compare exits by (issue 23 item 4).
	if link, err := os.Readlink(filepath.Join(root, "latest")); err != nil || link != "cmp" {
		t.Errorf("latest -> %q, %v; want cmp", link, err)
	}
	code, stdout, stderr = runCLI(t, "gate", filepath.Join(root, "latest"))
	if code != 0 || !strings.Contains(stdout, "judging its last run (optimized") || !strings.Contains(stdout, "optimized") {
		t.Errorf("gate of the comparison: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := testdb.ReadFacts(t, url); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("database after compare:\n%+v\nwant\n%+v", got, want)
	}
	if applied, err := migrations.IndexesApplied(ctx, url); err != nil || applied {
		t.Errorf("indexes applied after compare: %v (%v); they were not before", applied, err)
	}
}

func TestCompareFlagErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args     []string
		contains string
	}{
		{[]string{"compare"}, "usage: loadgate compare"},
		{[]string{"compare", "smoke", "--target", "http://127.0.0.1:1"}, "--target does not apply"},
		{[]string{"compare", "smoke", "--find-capacity"}, "--find-capacity does not apply"},
		{[]string{"compare", "smoke", "--duration", "-1s", "--dry-run"}, "duration override -1s"},
		{[]string{"scenario", "smoke", "--profile", "fast", "--dry-run"}, `--profile "fast"`},
	} {
		code, out, errs := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(out+errs, c.contains) {
			t.Errorf("%v: exit %d, want 2 with %q\nstdout: %s\nstderr: %s", c.args, code, c.contains, out, errs)
		}
	}
}
