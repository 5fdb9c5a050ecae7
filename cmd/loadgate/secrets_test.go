package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/target/testdb"
)

// Every secret planted by these tests holds this word, so one search finds any
// of them; each also names where it was planted.
const secretWord = "s3cr3t"

// leakCheck gathers what a command line printed and the files it wrote, and
// finds the secret in them.
type leakCheck struct {
	t    *testing.T
	seen []string // "where: text"
}

// cli runs loadgate in-process with the process environment (which the test
// sets), records its output and returns the exit code.
func (c *leakCheck) cli(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code = run(args, env{stdout: &out, stderr: &errb, getenv: os.Getenv})
	c.seen = append(c.seen, fmt.Sprintf("stdout of %v:\n%s", args, out.String()), fmt.Sprintf("stderr of %v:\n%s", args, errb.String()))
	return code, out.String(), errb.String()
}

// files adds every file under dir.
func (c *leakCheck) files(dir string) {
	c.t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		c.seen = append(c.seen, fmt.Sprintf("file %s:\n%s", p, b))
		return nil
	})
	if err != nil || n == 0 {
		c.t.Fatalf("reading %s: %d files, %v", dir, n, err)
	}
}

// assertNoSecret fails for each output or file that holds the secret word.
func (c *leakCheck) assertNoSecret() {
	c.t.Helper()
	for _, s := range c.seen {
		where, text, _ := strings.Cut(s, "\n")
		if i := strings.Index(text, secretWord); i >= 0 {
			c.t.Errorf("%s shows a secret: …%s…", where, text[max(0, i-100):min(len(text), i+40)])
		}
	}
}

const leakScenario = `name: leak
target:
  base_url: ${LEAK_TARGET}
  health: /api/health
  headers:
    Authorization: "Bearer ${LEAK_TOKEN}"
    Proxy-Authorization: Basic s3cr3t-proxy-authorization
    Cookie: sid=s3cr3t-cookie
    Set-Cookie: sid=s3cr3t-set-cookie
    X-API-Key: s3cr3t-x-api-key
    X-Tenant-Pin: s3cr3t-marked-secret
  secret_headers: [X-Tenant-Pin]
load:
  stages:
    - {duration: 2s, rate: 10/s}
setup:
  - {name: login, method: POST, path: /login}
requests:
  - name: hello
    path: /hello
    headers: {X-API-Key: s3cr3t-request-header}
gates:
  - error_rate < 50%
metrics:
  url: ${LEAK_METRICS}
`

// TestSecretsNeverLeak plants a secret in every place a scenario run takes
// one (base URL userinfo from the environment and from --target, each
// credential header, a value from the environment, a header the scenario
// marks secret, a request's header, the metrics URL), runs two shards and a
// run with --target against an httptest server, renders, gates, compares
// and merges (loadgate merge), and finds the secret
// in no file of the results and in no output. The target does receive the
// real values. Failures that print URLs (unhealthy target, failed setup,
// an unparsable --target) are checked the same way.
func TestSecretsNeverLeak(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{} // header → value the target received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		for _, h := range []string{"Authorization", "X-Tenant-Pin", "X-API-Key"} {
			if v := r.Header.Get(h); v != "" {
				got[r.URL.Path+" "+h] = v
			}
		}
		mu.Unlock()
		switch r.URL.Path {
		case "/metrics":
			http.Error(w, "no", http.StatusInternalServerError) // its URL lands in a warning
		case "/fail":
			http.Error(w, "no", http.StatusInternalServerError)
		default:
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()

	t.Setenv("LEAK_TARGET", "http://user:s3cr3t-base-url@"+host)
	t.Setenv("LEAK_TOKEN", "s3cr3t-from-env")
	t.Setenv("LEAK_METRICS", "http://user:s3cr3t-metrics-url@"+host+"/metrics")
	file := writeScenario(t, leakScenario)
	root := t.TempDir()
	c := &leakCheck{t: t}

	dirA, dirB, dirC := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c")
	for _, d := range []struct{ dir, shard string }{{dirA, "1/2"}, {dirB, "2/2"}} {
		if code, _, errs := c.cli("run", file, "--out", d.dir, "--shard", d.shard, "--results", root); code != 0 {
			t.Fatalf("run --shard %s: exit %d\n%s", d.shard, code, errs)
		}
	}
	if code, _, errs := c.cli("run", file, "--out", dirC, "--results", root,
		"--target", "http://user:s3cr3t-target-flag@"+host); code != 0 {
		t.Fatalf("run --target: exit %d\n%s", code, errs)
	}
	mu.Lock()
	if got["/hello Authorization"] != "Bearer s3cr3t-from-env" || got["/hello X-Tenant-Pin"] != "s3cr3t-marked-secret" ||
		got["/hello X-API-Key"] != "s3cr3t-request-header" || got["/api/health Authorization"] != "Bearer s3cr3t-from-env" {
		t.Errorf("the target did not receive the real values: %v", got)
	}
	mu.Unlock()
	c.cli("run", file, "--dry-run")
	c.cli("report", dirA)
	c.cli("gate", dirA)
	c.cli("report", dirA, dirC, "--labels", "a,c", "--out", filepath.Join(root, "cmp"))
	merged := filepath.Join(root, "merged")
	if code, _, errs := c.cli("merge", dirA, dirB, "--out", merged); code != 0 {
		t.Fatalf("merge: exit %d\n%s", code, errs)
	}
	c.cli("report", merged)
	c.cli("gate", merged)

	// Failures that name URLs.
	failures := []struct {
		name string
		args []string
	}{
		// Nothing answers the health check.
		{"unreachable", []string{"run", file, "--target", "http://user:s3cr3t-down@" + down}},
		// A --target that does not parse.
		{"unparsable target", []string{"run", file, "--target", "http://user:s3cr3t-bad-flag@" + host + "/%zz"}},
		// The setup request fails.
		{"setup fails", []string{"run", writeScenario(t, strings.Replace(leakScenario, "path: /login", "path: /fail", 1))}},
	}
	for _, f := range failures {
		if code, _, _ := c.cli(f.args...); code != 2 {
			t.Errorf("%s: exit %d, want 2", f.name, code)
		}
	}
	t.Setenv("LEAK_TARGET", "http://user:s3cr3t-bad-env@"+host+":port/")
	if code, _, _ := c.cli("run", file); code != 2 {
		t.Errorf("unparsable base_url: exit %d, want 2", code)
	}

	c.files(root)
	c.assertNoSecret()
	// What is not secret is still said.
	run, _ := os.ReadFile(filepath.Join(dirA, "run.json"))
	for _, want := range []string{`"target": "http://user:xxxxx@` + host + `"`, `"X-Tenant-Pin": "xxxxx"`, `"metrics_url": "http://user:xxxxx@`} {
		if !bytes.Contains(run, []byte(want)) {
			t.Errorf("run.json lacks %s", want)
		}
	}
}

// TestServiceURLsNeverLeak gives every command that takes a PostgreSQL or
// Redis URL one with a password: from DATABASE_URL/REDIS_URL and from
// --database-url, unparsable, as a key=value DSN, and with -h (which prints
// flag defaults). Each fails (no server answers them, or they do not parse),
// and no output shows the password.
func TestServiceURLsNeverLeak(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	okDB := withPassword(t, testdb.Fresh(t), "s3cr3t-good-db")
	dbURLs := map[string]string{
		"unparsable":    "postgres://u:s3cr3t-unparsable@127.0.0.1:5432/x%zz",
		"bad port":      "postgres://u:s3cr3t-bad-port@127.0.0.1:port/x",
		"key=value DSN": "host=127.0.0.1 port=" + strings.Split(down, ":")[1] + " user=u password=s3cr3t-dsn dbname=x sslmode=disable",
		"quoted DSN":    "host=127.0.0.1 user=u password='s3cr3t quoted' dbname=x sslmode=bogus",
		"no server":     "postgres://u:s3cr3t-no-server@" + down + "/x?sslmode=disable",
	}
	redisURLs := map[string]string{
		"unparsable": "redis://u:s3cr3t-redis-unparsable@127.0.0.1:6379/x%zz",
		"bad db":     "redis://u:s3cr3t-redis-bad-db@127.0.0.1:6379/abc",
		"no server":  "redis://u:s3cr3t-redis-no-server@" + down + "/0",
	}
	c := &leakCheck{t: t}
	for name, db := range dbURLs {
		t.Run("db "+name, func(t *testing.T) {
			for _, args := range [][]string{
				{"migrate", "--database-url", db, "up"},
				{"migrate", "--database-url", db, "status"},
				{"seed", "--database-url", db, "--users", "1"},
				{"serve", "--database-url", db, "--addr", "127.0.0.1:0"},
			} {
				if code, _, _ := c.cli(args...); code == 0 {
					t.Errorf("%v: exit 0", args)
				}
			}
			t.Setenv("DATABASE_URL", db)
			t.Setenv("REDIS_URL", "")
			for _, args := range [][]string{
				{"migrate", "up"}, {"seed", "--users", "1"}, {"serve", "--addr", "127.0.0.1:0"},
				{"services", "--no-throwaway", "--", "true"},
				{"scenario", "smoke", "--duration", "1s"},
				// -h prints each flag's default, taken from the environment.
				{"migrate", "-h"}, {"seed", "-h"}, {"serve", "-h"},
			} {
				c.cli(args...)
			}
		})
	}
	for name, rd := range redisURLs {
		t.Run("redis "+name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", okDB)
			t.Setenv("REDIS_URL", rd)
			t.Setenv("LOADGATE_REDIS_PREFIX", fmt.Sprintf("loadgate-test:leak-%d:", os.Getpid()))
			commands := [][]string{
				{"services", "--no-throwaway", "--", "true"},
				{"scenario", "smoke", "--duration", "1s"},
			}
			if name != "no server" { // the target serves without Redis: it would not stop
				commands = append(commands, []string{"serve", "--addr", "127.0.0.1:0"},
					[]string{"serve", "--redis-url", rd, "--addr", "127.0.0.1:0"})
			}
			for _, args := range commands {
				if code, _, _ := c.cli(args...); code == 0 {
					t.Errorf("%v: exit 0", args)
				}
			}
			c.cli("serve", "-h")
		})
	}
	c.assertNoSecret()
}

// withPassword is u with the userinfo password pw (the local server trusts
// every connection, so it still connects).
func withPassword(t *testing.T, u, pw string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	user := "postgres"
	if p.User != nil {
		user = p.User.Username()
	}
	p.User = url.UserPassword(user, pw)
	return p.String()
}

// TestScenarioSecretsNeverLeak runs the scenario command, the whole stack,
// on the real local PostgreSQL and Redis with passwords in DATABASE_URL and
// REDIS_URL (the local servers accept any), and a scenario with secret
// headers against the reference target: nothing it prints or writes shows
// them.
func TestScenarioSecretsNeverLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the stack and the target")
	}
	db := withPassword(t, testdb.Fresh(t), "s3cr3t-database-url")
	rd, err := url.Parse(testdbRedisURL())
	if err != nil {
		t.Fatal(err)
	}
	rd.User = url.UserPassword("default", "s3cr3t-redis-url")
	prefix := fmt.Sprintf("loadgate-test:leak-scenario-%d:", os.Getpid())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := testdb.DeleteRedisKeys(ctx, testdbRedisURL(), prefix); err != nil {
			t.Error(err)
		}
	})
	t.Setenv(envCLI, "1")
	t.Setenv("DATABASE_URL", db)
	t.Setenv("REDIS_URL", rd.String())
	t.Setenv("LOADGATE_REDIS_PREFIX", prefix)
	t.Setenv("LEAK_TOKEN", "s3cr3t-from-env")
	sc := writeScenario(t, `name: leak-stack
target:
  base_url: http://127.0.0.1:8080
  headers:
    X-API-Key: dev-key
    Authorization: "Bearer ${LEAK_TOKEN}"
    Cookie: sid=s3cr3t-cookie
load:
  stages:
    - {duration: 2s, rate: 10/s}
requests:
  - {name: search, path: "/api/v1/nutrition/search?q=apple&limit=5"}
gates:
  - error_rate < 5%
`)
	root := t.TempDir()
	c := &leakCheck{t: t}
	code, _, stderr := c.cli("scenario", sc, "--results", root, "--users", "20", "--foods", "200", "--messages", "40")
	if code != 0 {
		t.Fatalf("scenario: exit %d\n%s", code, stderr)
	}
	c.files(root)
	c.assertNoSecret()
	if ok, _ := regexp.MatchString(`"target": "http://127\.0\.0\.1:\d+"`, latestRun(t, root)); !ok {
		t.Error("run.json does not name the reference target")
	}
}

func testdbRedisURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return testdb.DefaultRedisURL
}

func latestRun(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "latest", "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestExecFaultSecretsNeverLeak plants a secret in every position of an exec
// fault's commands (issue 21 item 1): a value from the environment, whole and
// inside --password=, a URL's password and token= query value, the value
// after --token, --api-key=, mysql's joined -p, curl's -u user:password, an
// Authorization header given with -H, a PGPASSWORD= assignment. Both
// commands fail, echoing their arguments, so each reaches stderr, run.json
// (faults[].error and undo_error) and report.html with the command's output;
// none of them shows a secret.
func TestExecFaultSecretsNeverLeak(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	t.Setenv("FAULT_PASSWORD", "s3cr3t-from-env")
	argv := `[sh, -c, 'echo "$@" >&2; exit 3', sh, "--password=${FAULT_PASSWORD}", "${FAULT_PASSWORD}",
      "http://admin:s3cr3t-userinfo@127.0.0.1:1/x?token=s3cr3t-query&q=1", --token, s3cr3t-flag-value,
      "--api-key=s3cr3t-api-key", -ps3cr3t-mysql, -u, "admin:s3cr3t-curl-user", -H, "Authorization: Bearer s3cr3t-header",
      PGPASSWORD=s3cr3t-assignment]`
	file := writeScenario(t, fmt.Sprintf(`name: execleak
target: {base_url: %s, health: none}
load: {stages: [{duration: 2s, rate: 10/s}]}
requests: [{name: a, path: /}]
faults:
  - name: f
    at: 500ms
    for: 500ms
    action: exec
    run: %s
    undo: %s
`, srv.URL, argv, argv))
	root := t.TempDir()
	out := filepath.Join(root, "run")
	c := &leakCheck{t: t}
	c.cli("run", file, "--out", out, "--results", root)
	c.files(root)
	c.assertNoSecret()
	// What is not secret is still said: the command and its output, with
	// each secret masked.
	run, err := record.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Faults) != 1 {
		t.Fatalf("faults: %+v", run.Faults)
	}
	for _, msg := range []string{run.Faults[0].Error, run.Faults[0].UndoError} {
		for _, want := range []string{"sh -c ", "--password=xxxxx xxxxx http://admin:xxxxx@127.0.0.1:1/x?token=xxxxx&q=1",
			"--token xxxxx --api-key=xxxxx -pxxxxx -u admin:xxxxx -H Authorization: xxxxx PGPASSWORD=xxxxx: exit status 3: --password=xxxxx"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%q lacks %q", msg, want)
			}
		}
	}
}
