package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/loadgate/loadgate/scenarios"
	"github.com/loadgate/loadgate/target/services"
)

// stack holds the throwaway PostgreSQL and Redis of the package's tests:
// the drills stop them, which the machine's shared servers must never be.
var stack *services.Stack

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// WithoutEnv: under `make test`, DATABASE_URL and REDIS_URL name the
	// shared servers, which a drill must never stop.
	s, err := services.Ensure(context.Background(), services.WithOwn("postgres", "redis"),
		services.WithoutEnv())
	if err != nil {
		fmt.Fprintf(os.Stderr, "faults: no throwaway PostgreSQL and Redis: %v\n", err)
		return 2
	}
	defer s.Stop()
	stack = s
	return m.Run()
}

// fault parses one fault of a 60 s scenario.
func fault(t *testing.T, yaml string) scenarios.Fault {
	t.Helper()
	src := "name: t\ntarget: {base_url: http://127.0.0.1:1}\nload: {stages: [{duration: 60s, rate: 1/s}]}\nrequests: [{name: a, path: /}]\nfaults:\n  - " + yaml + "\n"
	sc, err := scenarios.Parse([]byte(src), "t.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return sc.Faults[0]
}

func drill(t *testing.T, yaml string, env Env) Action {
	t.Helper()
	a, err := build(fault(t, yaml), env)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func pingPG(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	return c.Ping(ctx)
}

func pingRedis(url string, timeout time.Duration) error {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	opt.MaxRetries, opt.DialTimeout, opt.ReadTimeout = -1, timeout, timeout
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.Ping(ctx).Err()
}

// redis_stop and pg_stop stop loadgate's own servers and start them again.
func TestServerStop(t *testing.T) {
	ctx := context.Background()
	env := Env{Redis: stack.Redis(), Postgres: stack.Postgres()}
	cases := []struct {
		yaml string
		ping func() error
	}{
		{"{at: 1s, for: 5s, action: redis_stop}", func() error { return pingRedis(stack.RedisURL, time.Second) }},
		{"{at: 1s, for: 5s, action: pg_stop}", func() error { return pingPG(stack.DatabaseURL) }},
	}
	for _, c := range cases {
		a := drill(t, c.yaml, env)
		if err := a.Inject(ctx); err != nil {
			t.Fatalf("%s: inject: %v", c.yaml, err)
		}
		if c.ping() == nil {
			t.Errorf("%s: the server answers while stopped", c.yaml)
		}
		if err := a.Undo(ctx); err != nil {
			t.Fatalf("%s: undo: %v", c.yaml, err)
		}
		if err := c.ping(); err != nil {
			t.Errorf("%s: the server does not answer after undo: %v", c.yaml, err)
		}
		if err := a.Undo(ctx); err != nil {
			t.Errorf("%s: a second undo: %v", c.yaml, err)
		}
	}
}

// redis_pause holds every client's commands while it lasts; undo returns
// once Redis answers again.
func TestRedisPause(t *testing.T) {
	ctx := context.Background()
	a := drill(t, "{at: 1s, for: 1500ms, action: redis_pause}", Env{RedisURL: stack.RedisURL, Redis: stack.Redis()})
	if err := a.Inject(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pingRedis(stack.RedisURL, 300*time.Millisecond); err == nil {
		t.Error("a client's command answered while paused")
	}
	if err := a.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pingRedis(stack.RedisURL, 2*time.Second); err != nil {
		t.Errorf("paused after undo: %v", err)
	}
}

// pg_terminate_backends ends the backends of the target's database and no
// other database's.
func TestPGTerminateBackends(t *testing.T) {
	ctx := context.Background()
	other := strings.Replace(stack.DatabaseURL, "/loadgate?", "/postgres?", 1)
	if other == stack.DatabaseURL {
		t.Fatalf("database URL %s", stack.DatabaseURL)
	}
	mine, err := pgx.Connect(ctx, stack.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close(ctx)
	theirs, err := pgx.Connect(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close(ctx)
	a := drill(t, "{at: 1s, action: pg_terminate_backends}", Env{DatabaseURL: stack.DatabaseURL, Postgres: stack.Postgres()})
	if err := a.Inject(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mine.Ping(ctx); err == nil {
		t.Error("a backend of the target's database survived")
	}
	if err := theirs.Ping(ctx); err != nil {
		t.Errorf("a backend of another database was terminated: %v", err)
	}
	if err := a.Undo(ctx); err != nil {
		t.Error(err)
	}
}

// fakeTarget records what the target drills ask of it.
type fakeTarget struct{ calls []string }

func (f *fakeTarget) Restart(_ context.Context, kill bool) error {
	f.calls = append(f.calls, fmt.Sprintf("restart kill=%v", kill))
	return nil
}

func (f *fakeTarget) Start(context.Context) error {
	f.calls = append(f.calls, "start")
	return nil
}

// target_restart and target_kill restart the target loadgate started (the
// process side is tested in cmd/loadgate); undo makes sure it runs.
func TestTargetDrills(t *testing.T) {
	t.Parallel()
	ft := &fakeTarget{}
	for _, y := range []string{"{at: 1s, action: target_restart}", "{at: 1s, action: target_kill}"} {
		a := drill(t, y, Env{Target: ft})
		if err := a.Inject(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := a.Undo(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(ft.calls, ","); got != "restart kill=false,start,restart kill=true,start" {
		t.Errorf("calls %q", got)
	}
}

// Built-in drills refuse what loadgate did not start or what is not on loopback.
func TestBuildRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct{ yaml, want string }{
		{"{at: 1s, for: 5s, action: redis_stop}", "only a Redis it started"},
		{"{at: 1s, for: 5s, action: pg_stop}", "only a PostgreSQL it started"},
		{"{at: 1s, action: target_kill}", "target loadgate started"},
		{"{at: 1s, for: 5s, action: latency, service: redis, latency: 1s}", "needs loadgate's proxy"},
	}
	for _, c := range cases {
		_, err := build(fault(t, c.yaml), Env{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.yaml, err, c.want)
		}
	}
	_, err := build(fault(t, "{at: 1s, action: pg_terminate_backends}"), Env{DatabaseURL: "postgres://u@db.example.com:5432/x", Allow: map[string]bool{"postgres": true}})
	if err == nil || !strings.Contains(err.Error(), "not on loopback") {
		t.Errorf("remote database: %v", err)
	}
	if _, err := NewProxy("x", "10.1.2.3:5432"); err == nil || !strings.Contains(err.Error(), "not on loopback") {
		t.Errorf("remote upstream: %v", err)
	}
}

// exec runs argv lists without a shell, each within its timeout.
func TestExec(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	mark := filepath.Join(dir, "on")
	a := drill(t, fmt.Sprintf("{at: 1s, for: 5s, action: exec, run: [touch, %q], undo: [rm, %q]}", mark, mark), Env{})
	if err := a.Inject(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mark); err != nil {
		t.Errorf("run did not run: %v", err)
	}
	if err := a.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mark); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("undo did not run: %v", err)
	}
	// No shell: the argument is one word, not a command line.
	a = drill(t, `{at: 1s, action: exec, run: [ls, "; touch x"]}`, Env{})
	if err := a.Inject(ctx); err == nil || !strings.Contains(err.Error(), "No such file") {
		t.Errorf("ls of a missing file: %v", err)
	}
	a = drill(t, `{at: 1s, action: exec, run: [sleep, "10"], timeout: 200ms}`, Env{})
	start := time.Now()
	if err := a.Inject(ctx); err == nil || !strings.Contains(err.Error(), "no exit within 200ms") {
		t.Errorf("timeout: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the timeout did not stop the command: %s", d)
	}
}

// echoServer answers each connection by echoing what it reads.
func echoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return l.Addr().String()
}

// roundTrip sends n bytes through addr and reads them back.
func roundTrip(addr string, n int, deadline time.Duration) (time.Duration, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(deadline))
	start := time.Now()
	if _, err := c.Write(make([]byte, n)); err != nil {
		return 0, err
	}
	if _, err := io.ReadFull(c, make([]byte, n)); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// Network faults act through the proxy while they are on, and the link is
// as before once they are undone.
func TestNetworkFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, err := NewProxy("echo", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	env := Env{Proxies: map[string]*Proxy{"redis": p}}
	if _, err := roundTrip(p.Addr(), 10, time.Second); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	cases := []struct {
		yaml  string
		check func() error
	}{
		{"{at: 1s, for: 5s, action: latency, service: redis, latency: 300ms, jitter: 10ms}", func() error {
			d, err := roundTrip(p.Addr(), 10, 5*time.Second)
			if err == nil && d < 250*time.Millisecond {
				err = fmt.Errorf("round trip took %s, want at least the added 300ms (less jitter)", d)
			}
			return err
		}},
		{"{at: 1s, for: 5s, action: bandwidth, service: redis, kb_per_s: 20}", func() error {
			d, err := roundTrip(p.Addr(), 30_000, 10*time.Second)
			if err == nil && d < time.Second {
				err = fmt.Errorf("30 kB at 20 kB/s took %s", d)
			}
			return err
		}},
		{"{at: 1s, for: 5s, action: reset, service: redis}", func() error {
			if _, err := roundTrip(p.Addr(), 10, 2*time.Second); err == nil {
				return errors.New("the connection was not reset")
			}
			return nil
		}},
		{"{at: 1s, for: 5s, action: blackhole, service: redis}", func() error {
			_, err := roundTrip(p.Addr(), 10, 300*time.Millisecond)
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				return fmt.Errorf("want a timeout in the blackhole, got %v", err)
			}
			return nil
		}},
	}
	for _, c := range cases {
		a := drill(t, c.yaml, env)
		if err := a.Inject(ctx); err != nil {
			t.Fatalf("%s: %v", c.yaml, err)
		}
		if err := c.check(); err != nil {
			t.Errorf("%s: %v", c.yaml, err)
		}
		if err := a.Undo(ctx); err != nil {
			t.Fatal(err)
		}
		if n := p.Toxics(); n != 0 {
			t.Errorf("%s: %d toxics left after undo", c.yaml, n)
		}
		if d, err := roundTrip(p.Addr(), 10, time.Second); err != nil {
			t.Errorf("%s: after undo: %v (%s)", c.yaml, err, d)
		}
	}
}

// redis_pause and pg_terminate_backends act on every client of the service:
// against a Redis or PostgreSQL loadgate did not start (it was given
// REDIS_URL, DATABASE_URL) they are refused before the run, as redis_stop
// is, unless the user allows drills on that service by name
// (LOADGATE_ALLOW_DRILLS); LOADGATE_PG_DATA, which gives loadgate a
// PostgreSQL to stop, allows ending its backends too.
func TestSharedServicesRefused(t *testing.T) {
	t.Parallel()
	pause := "{at: 1s, for: 5s, action: redis_pause}"
	terminate := "{at: 1s, action: pg_terminate_backends}"
	given := Env{DatabaseURL: "postgres://u@127.0.0.1:5432/x", RedisURL: "redis://127.0.0.1:6379/0"}
	for _, c := range []struct {
		name, yaml string
		env        Env
		want       string // "" built
	}{
		{"redis given", pause, given, "LOADGATE_ALLOW_DRILLS=redis"},
		{"postgres given", terminate, given, "LOADGATE_ALLOW_DRILLS=postgres"},
		{"the other allowed", pause, withAllow(given, "postgres"), "LOADGATE_ALLOW_DRILLS=redis"},
		{"redis allowed", pause, withAllow(given, "redis"), ""},
		{"postgres allowed", terminate, withAllow(given, "postgres"), ""},
		{"redis ours", pause, Env{RedisURL: given.RedisURL, Redis: stack.Redis()}, ""},
		{"postgres by its data directory", terminate, Env{DatabaseURL: given.DatabaseURL, Postgres: &fakeServer{}}, ""},
		// Allowed, but a drill still acts only on loopback.
		{"remote redis allowed", pause, withAllow(Env{RedisURL: "redis://cache.example.com:6379/0"}, "redis"), "not on loopback"},
	} {
		_, err := build(fault(t, c.yaml), c.env)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}

func withAllow(e Env, names ...string) Env {
	e.Allow = map[string]bool{}
	for _, n := range names {
		e.Allow[n] = true
	}
	return e
}

// fakeServer is a server loadgate was given by its data directory.
type fakeServer struct{}

func (*fakeServer) Stop(context.Context) error  { return nil }
func (*fakeServer) Start(context.Context) error { return nil }

// AllowedDrills reads LOADGATE_ALLOW_DRILLS: service names, comma-separated;
// an unknown one is an error naming the variable.
func TestAllowedDrills(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]string{"": "", "redis": "redis", " postgres , redis ": "postgres,redis", "Redis": "redis"} {
		got, err := AllowedDrills(func(k string) string { return map[string]string{EnvAllowDrills: v}[k] })
		if err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		var names []string
		for _, n := range []string{"postgres", "redis"} {
			if got[n] {
				names = append(names, n)
			}
		}
		if strings.Join(names, ",") != want {
			t.Errorf("%q: %v, want %s", v, got, want)
		}
	}
	_, err := AllowedDrills(func(string) string { return "redis,mysql" })
	if err == nil || !strings.Contains(err.Error(), EnvAllowDrills) || !strings.Contains(err.Error(), `"mysql"`) {
		t.Errorf("unknown service: %v", err)
	}
}
