package services

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// closedURLs returns URLs on ports where nothing listens.
func closedURLs(t *testing.T) (db, redis string) {
	t.Helper()
	p1, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	p2, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/loadgate?sslmode=disable", p1),
		fmt.Sprintf("redis://127.0.0.1:%d/0", p2)
}

func localPostgres() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func noEnv(string) string { return "" }

// The local servers answer: Ensure uses them, starts nothing and creates the
// database named in the URL.
func TestEnsureUsesRunningServersAndCreatesDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, err := withDatabase(localPostgres(), "postgres")
	if err != nil {
		t.Fatal(err)
	}
	if err := pingPostgres(ctx, admin, 2*time.Second); err != nil {
		t.Skipf("no local PostgreSQL (%v); .ci/run starts one", err)
	}
	name := fmt.Sprintf("loadgate_services_test_%d", os.Getpid())
	dbURL, _ := withDatabase(localPostgres(), name)
	t.Cleanup(func() { dropDatabase(t, admin, name) })
	// The server answers, the database is absent: a typed SQLSTATE 3D000.
	if err := pingPostgres(ctx, dbURL, 2*time.Second); err != errNoDatabase {
		t.Fatalf("ping of a database not created yet: %v, want errNoDatabase", err)
	}

	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		redisURL = DefaultRedisURL
	}
	s, err := Ensure(ctx, WithURLs(dbURL, redisURL), WithoutThrowaway())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if len(s.Started) != 0 {
		t.Errorf("started %v, want nothing", s.Started)
	}
	if err := pingPostgres(ctx, s.DatabaseURL, 2*time.Second); err != nil {
		t.Errorf("database %s was not created: %v", name, err)
	}
	// A second Ensure finds the database there and is still happy.
	s2, err := Ensure(ctx, WithURLs(dbURL, redisURL), WithoutThrowaway())
	if err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	s2.Stop()
}

// A URL the user set explicitly that does not answer is an error naming it,
// given quickly, and no throwaway server replaces it.
func TestEnsureExplicitURLDownNamesIt(t *testing.T) {
	db, redis := closedURLs(t)
	start := time.Now()
	_, err := Ensure(context.Background(), withGetenv(func(k string) string {
		if k == "DATABASE_URL" {
			return db
		}
		return ""
	}), withDefaults(db, redis))
	if err == nil {
		t.Fatal("want an error")
	}
	host := strings.TrimPrefix(strings.Split(db, "/loadgate")[0], "postgres://postgres@")
	if !strings.Contains(err.Error(), host) {
		t.Errorf("error %q does not name %s", err, host)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s to notice", d)
	}
}

// Nothing answers at the defaults and no binaries can be found: one error
// that says how to get them.
func TestEnsureWithoutBinariesSaysHowToGetThem(t *testing.T) {
	db, redis := closedURLs(t)
	t.Setenv("PATH", t.TempDir())
	_, err := Ensure(context.Background(), withGetenv(noEnv), withDefaults(db, redis), withPostgresSearch(nil))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"initdb not found", "apt-get install postgresql redis-server", "docker compose up -d"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// Nothing answers at the defaults: throwaway servers are started from the
// machine's binaries, answer, and are gone after Stop (which may be called twice).
func TestEnsureStartsThrowawayServers(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts PostgreSQL and Redis")
	}
	if _, err := findPostgresBinary("initdb", postgresSearch); err != nil {
		t.Skipf("no PostgreSQL server binaries here: %v", err)
	}
	db, redis := closedURLs(t)
	ctx := context.Background()
	s, err := Ensure(ctx, withGetenv(noEnv), withDefaults(db, redis))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Started, ","); got != "postgres,redis" {
		t.Errorf("Started = %q, want postgres,redis", got)
	}
	conn, err := pgx.Connect(ctx, s.DatabaseURL)
	if err != nil {
		t.Fatalf("throwaway database %s: %v", s.DatabaseURL, err)
	}
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("SELECT 1 = %d, %v", one, err)
	}
	conn.Close(ctx)
	if !strings.HasSuffix(strings.Split(s.DatabaseURL, "?")[0], "/loadgate") {
		t.Errorf("database URL %s does not keep the database name", s.DatabaseURL)
	}
	if err := pingRedis(ctx, s.RedisURL, time.Second); err != nil {
		t.Errorf("throwaway redis: %v", err)
	}
	dir := s.tempDir

	if err := s.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := pingPostgres(ctx, s.DatabaseURL, time.Second); err == nil {
		t.Error("postgres still answers after Stop")
	}
	if err := pingRedis(ctx, s.RedisURL, time.Second); err == nil {
		t.Error("redis still answers after Stop")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temp dir %s still there: %v", dir, err)
	}
}

func TestFindPostgresBinaryPrefersNewestVersion(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9", "15", "13"} {
		d := root + "/pg/" + v + "/bin"
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(d+"/initdb", []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", t.TempDir())
	got, err := findPostgresBinary("initdb", []string{root + "/pg/*/bin"})
	if err != nil {
		t.Fatal(err)
	}
	if want := root + "/pg/15/bin/initdb"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func dropDatabase(t *testing.T, admin, name string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Errorf("dropping %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("dropping %s: %v", name, err)
	}
}

// WithOwn starts throwaway servers although the defaults answer (they are
// the machine's shared ones, which fault drills must never stop), and each
// one stops and starts again on its port.
func TestEnsureOwnServersStopAndStart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts PostgreSQL and Redis")
	}
	if _, err := findPostgresBinary("initdb", postgresSearch); err != nil {
		t.Skipf("no PostgreSQL server binaries here: %v", err)
	}
	ctx := context.Background()
	s, err := Ensure(ctx, withGetenv(noEnv), WithOwn("postgres", "redis"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if got := strings.Join(s.Started, ","); got != "postgres,redis" {
		t.Errorf("Started = %q, want postgres,redis", got)
	}
	if s.DatabaseURL == DefaultDatabaseURL || s.RedisURL == DefaultRedisURL {
		t.Fatalf("own servers at the shared defaults: %s %s", s.DatabaseURL, s.RedisURL)
	}
	pings := map[string]func() error{
		"postgres": func() error { return pingPostgres(ctx, s.DatabaseURL, time.Second) },
		"redis":    func() error { return pingRedis(ctx, s.RedisURL, time.Second) },
	}
	for _, sv := range []*Server{s.Postgres(), s.Redis()} {
		if sv == nil {
			t.Fatal("no server handle")
		}
		ping := pings[sv.Name()]
		if err := sv.Stop(ctx); err != nil || sv.Running() {
			t.Fatalf("%s: Stop: %v, running %v", sv.Name(), err, sv.Running())
		}
		if ping() == nil {
			t.Errorf("%s answers after Stop", sv.Name())
		}
		if err := sv.Stop(ctx); err != nil {
			t.Errorf("%s: second Stop: %v", sv.Name(), err)
		}
		if err := sv.Start(ctx); err != nil {
			t.Fatalf("%s: Start: %v", sv.Name(), err)
		}
		if err := ping(); err != nil {
			t.Errorf("%s does not answer after Start: %v", sv.Name(), err)
		}
	}
	// The database survives a restart.
	if err := pingPostgres(ctx, s.DatabaseURL, time.Second); err != nil {
		t.Errorf("database after restart: %v", err)
	}
}

// Processes creating one database at once all succeed: the one that loses
// the race sees SQLSTATE 42P04 (duplicate_database), which is success.
func TestCreateDatabaseRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, err := withDatabase(localPostgres(), "postgres")
	if err != nil {
		t.Fatal(err)
	}
	if err := pingPostgres(ctx, admin, 2*time.Second); err != nil {
		t.Skipf("no local PostgreSQL (%v)", err)
	}
	name := fmt.Sprintf("loadgate_services_race_%d", os.Getpid())
	dbURL, _ := withDatabase(localPostgres(), name)
	t.Cleanup(func() { dropDatabase(t, admin, name) })
	errs := make(chan error, 4)
	for range cap(errs) {
		go func() { errs <- CreateDatabase(ctx, dbURL) }()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("CreateDatabase: %v", err)
		}
	}
}

// A PostgreSQL loadgate was given by its data directory (LOADGATE_PG_DATA)
// stops and starts again with pg_ctl on its own port, and a directory that
// is not the one at DATABASE_URL is refused.
func TestDataDirServer(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	pgCtl, err := findPostgresBinary("pg_ctl", postgresSearch)
	if err != nil {
		t.Skipf("no pg_ctl here: %v", err)
	}
	initdb, _ := findPostgresBinary("initdb", postgresSearch)
	// Not t.TempDir: its parent is private to this user, and PostgreSQL
	// runs as another when the tests run as root.
	base, err := os.MkdirTemp("", "loadgate-pgdata-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	dir := filepath.Join(base, "pg")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cred, err := unprivilegedCredential(base, dir)
	if err != nil {
		t.Fatal(err)
	}
	as := func(name string, args ...string) *exec.Cmd {
		c := exec.Command(name, args...)
		c.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setsid: true}
		return c
	}
	if out, err := as(initdb, "-D", dir, "-U", "postgres", "-A", "trust", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s", port, dir)
	if out, err := as(pgCtl, "-D", dir, "start", "-w", "-l", os.DevNull, "-o", opts).CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = as(pgCtl, "-D", dir, "stop", "-m", "immediate").Run() })
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	ctx := context.Background()

	if _, err := ByDataDir(dir, "postgres://postgres@127.0.0.1:1/postgres"); err == nil || !strings.Contains(err.Error(), "does not listen on DATABASE_URL's port 1") {
		t.Errorf("another port: %v", err)
	}
	if _, err := ByDataDir(dir, fmt.Sprintf("postgres://postgres@10.0.0.1:%d/postgres", port)); err == nil || !strings.Contains(err.Error(), "not on loopback") {
		t.Errorf("not loopback: %v", err)
	}
	s, err := ByDataDir(dir, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if pingPostgres(ctx, url, time.Second) == nil {
		t.Error("it answers after Stop")
	}
	// What loadgate prints for the user to start it by hand starts it on its
	// port (run here as the directory's owner, as the line's sudo says).
	line := s.StartCommand()
	if cred != nil {
		owner, err := user.LookupId(strconv.Itoa(int(cred.Uid)))
		if err != nil {
			t.Fatal(err)
		}
		prefix := "sudo -u " + owner.Username + " "
		if !strings.HasPrefix(line, prefix) {
			t.Errorf("StartCommand %q, want it to start with %q", line, prefix)
		}
		line = strings.TrimPrefix(line, prefix)
	}
	if out, err := as("sh", "-c", line).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
	if err := pingPostgres(ctx, url, 2*time.Second); err != nil {
		t.Errorf("%s: it does not answer on its port: %v", line, err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pingPostgres(ctx, url, 2*time.Second); err != nil {
		t.Errorf("it does not answer on its port after Start: %v", err)
	}
	if err := s.Start(ctx); err != nil {
		t.Errorf("a second Start: %v", err)
	}
}

// TestDatabaseURL: $DATABASE_URL when set, else the standard local one.
func TestDatabaseURL(t *testing.T) {
	t.Parallel()
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if got := DatabaseURL(getenv); got != DefaultDatabaseURL {
		t.Errorf("unset: %s, want %s", got, DefaultDatabaseURL)
	}
	env["DATABASE_URL"] = "postgres://db.example/app"
	if got := DatabaseURL(getenv); got != "postgres://db.example/app" {
		t.Errorf("set: %s", got)
	}
}
