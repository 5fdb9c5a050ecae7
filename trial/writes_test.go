package trial

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/loadgate/loadgate/faults"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/target/testdb"
	"github.com/loadgate/loadgate/target/writes"
)

// When the writes cannot be counted after the run (a drill's undo left
// PostgreSQL down; here the table is gone), the run still gets its report:
// run.json's writes say they were not checked and why, and writes_lost is
// unknown, not passed. The check is wired as Scenario wires it; the stack
// is left out, to keep this fast.
func TestRunReportsUncheckedWrites(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }))
	defer srv.Close()
	url := testdb.Fresh(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE meals (id int); CREATE TABLE messages (role text)`); err != nil {
		t.Fatal(err)
	}

	body := fmt.Sprintf(`name: unchecked
target: {base_url: %s, health: none}
load: {stages: [{duration: 1s, rate: 10/s}]}
data: {user: {range: [1, 5]}}
requests:
  - {name: log_meal, method: POST, path: "/api/v1/users/{{user}}/meals", body: "{}"}
faults: [{name: noop, at: 500ms, action: exec, run: ["true"]}]
gates: ["writes_lost <= 0"]
`, srv.URL)
	out := filepath.Join(t.TempDir(), "run")
	var stdout, stderr bytes.Buffer
	env := Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	p := Plan{Scenario: writeScenario(t, body), Out: out, Root: t.TempDir()}
	sc, start, err := resolve(env, p, true)
	if err != nil {
		t.Fatal(err)
	}
	var s steps
	if s.drills, err = faults.Build(sc, faults.Env{Dir: sc.Dir()}); err != nil {
		t.Fatal(err)
	}
	if s.writes, err = writes.Start(ctx, url); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `DROP TABLE meals`); err != nil {
		t.Fatal(err)
	}
	verdict, err := runPlan(ctx, env, p, sc, start, s)
	if err != nil || verdict.Verdict != record.VerdictUnknown {
		t.Errorf("verdict %+v, %v\n%s", verdict, err, stderr.String())
	}
	for _, file := range []string{record.ReportFile, record.SummaryFile, record.JUnitFile} {
		if _, err := os.Stat(filepath.Join(out, file)); err != nil {
			t.Errorf("no %s: %v", file, err)
		}
	}
	run, err := record.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	if w := run.Writes; w == nil || w.Acknowledged == 0 || w.Lost != nil || !strings.Contains(w.Error, "counting writes") {
		t.Errorf("writes: %+v", w)
	}
	if len(run.Gates) != 1 || run.Gates[0].Verdict != record.VerdictUnknown || !strings.Contains(run.Gates[0].Message, "writes not checked") {
		t.Errorf("gates: %+v", run.Gates)
	}
	if !strings.Contains(stdout.String()+stderr.String(), "writes not checked: counting writes") {
		t.Errorf("the warning is not shown:\n%s\n%s", stdout.String(), stderr.String())
	}
}

// writeScenario writes a scenario file of body and returns its path.
func writeScenario(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
