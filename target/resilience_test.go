package target_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/target"
	"github.com/loadgate/loadgate/target/agent"
	"github.com/loadgate/loadgate/target/testdb"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/redis/go-redis/v9"
)

// startRedis runs a redis-server of the test's own on a free port and
// returns its URL and a function that kills it.
func startRedis(t *testing.T) (string, func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	kill := func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(kill)
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	defer c.Close()
	for deadline := time.Now().Add(5 * time.Second); c.Ping(context.Background()).Err() != nil; {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return url, kill
}

// everyRoute calls each route once and fails on an unexpected status.
func everyRoute(t *testing.T, c *client, tag string) {
	t.Helper()
	for _, r := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/api/health", "", 200},
		{"GET", "/metrics", "", 200},
		{"GET", "/api/v1/metrics", "", 200},
		{"POST", "/api/v1/users", fmt.Sprintf(`{"name":"R","email":"%s@example.test"}`, tag), 201},
		{"GET", "/api/v1/users/2", "", 200},
		{"GET", "/api/v1/users/2/memory", "", 200},
		{"POST", "/api/v1/users/2/memory", `{"kind":"fact","content":"likes rowing ` + tag + `"}`, 201},
		{"GET", "/api/v1/users/2/memory/search?q=rowing", "", 200},
		{"GET", "/api/v1/nutrition/search?q=salmon", "", 200},
		{"GET", "/api/v1/nutrition/foods/5", "", 200},
		{"POST", "/api/v1/users/2/meals", `{"food_id":5,"grams":100}`, 201},
		{"GET", "/api/v1/users/2/meals/daily", "", 200},
		{"GET", "/api/v1/users/2/conversations?limit=5", "", 200},
		{"POST", "/api/v1/chat", `{"user_id":2,"message":"is tuna good after rowing?"}`, 200},
		{"POST", "/api/v1/chat", `{"user_id":2,"message":"and salmon?","stream":true}`, 200},
		{"POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"and rice?"}],"stream":true}`, 200},
		{"POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"and bread?"}]}`, 200},
		{"GET", "/api/v1/users/2/xp", "", 200},
		{"GET", "/api/v1/leaderboard", "", 200},
	} {
		if code, b, _ := c.do(r.method, r.path, r.body); code != r.want {
			t.Fatalf("%s: %s %s = %d, want %d: %s", tag, r.method, r.path, code, r.want, b)
		}
	}
}

// TestRedisBackoffConfigured: after a failed Redis call the cache skips
// Redis for Config.RedisBackoff, whatever the wall clock: with an hour, the
// first lookup after Redis died is the only one that fails (the others are
// skipped); with a nanosecond, each lookup tries Redis again and fails.
func TestRedisBackoffConfigured(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		backoff time.Duration
		oneFail bool
	}{{time.Hour, true}, {time.Nanosecond, false}} {
		t.Run(c.backoff.String(), func(t *testing.T) {
			t.Parallel()
			redisURL, kill := startRedis(t)
			cfg := testConfig(t)
			cfg.RedisURL, cfg.RedisBackoff = redisURL, c.backoff
			cl := start(t, cfg)
			kill()
			// Foods none has read yet: each lookup misses the in-process
			// tier and asks Redis, unless Redis is being skipped.
			const n = 5
			for id := range n {
				cl.expect("GET", "/api/v1/nutrition/foods/"+strconv.Itoa(100+id), "", 200, nil)
			}
			var m target.MetricsReport
			cl.expect("GET", "/api/v1/metrics", "", 200, &m)
			if c.oneFail && (m.Redis.Failures != 1 || m.Redis.Available) {
				t.Errorf("backoff %s: %d Redis failures, available %v; want 1 failure, then Redis skipped", c.backoff, m.Redis.Failures, m.Redis.Available)
			}
			if !c.oneFail && m.Redis.Failures < n {
				t.Errorf("backoff %s: %d Redis failures for %d lookups; want each lookup to try Redis again", c.backoff, m.Redis.Failures, n)
			}
		})
	}
}

// TestRedisKilledMidTest: with Redis killed under it, the target serves
// every route from PostgreSQL and says Redis is down. Its Redis timeout is
// generous, so that no call while Redis is up fails on a busy machine, and
// its backoff long, so that Redis is still skipped however long the routes
// take: nothing here depends on the wall clock.
func TestRedisKilledMidTest(t *testing.T) {
	redisURL, kill := startRedis(t)
	cfg := testConfig(t)
	cfg.RedisURL = redisURL
	cfg.RedisTimeout, cfg.RedisBackoff = 10*time.Second, time.Hour
	c := start(t, cfg)
	everyRoute(t, c, "redis-up")
	var board struct{ Source string }
	c.expect("GET", "/api/v1/leaderboard", "", 200, &board)
	if board.Source != "redis" {
		t.Fatalf("leaderboard from %s with Redis up", board.Source)
	}

	kill()
	var h target.Health
	c.expect("GET", "/api/health", "", 200, &h)
	if h.Status != "degraded" || h.Redis != "down" || h.Postgres != "ok" {
		t.Fatalf("health with Redis down: %+v", h)
	}
	for i := range 3 {
		everyRoute(t, c, "redis-down-"+strconv.Itoa(i))
	}
	c.expect("GET", "/api/v1/leaderboard", "", 200, &board)
	if board.Source != "postgres" {
		t.Fatalf("leaderboard from %s with Redis down, want postgres", board.Source)
	}
	failed := c.metric(`loadgate_cache_lookups_total{cache="food",result="error",tier="redis"}`) +
		c.metric(`loadgate_cache_lookups_total{cache="user",result="error",tier="redis"}`) +
		c.metric(`loadgate_cache_lookups_total{cache="nutrition_search",result="skipped",tier="redis"}`) +
		c.metric(`loadgate_cache_lookups_total{cache="memory",result="skipped",tier="redis"}`) +
		c.metric(`loadgate_cache_lookups_total{cache="memory",result="error",tier="redis"}`)
	if failed == 0 {
		t.Fatal("metrics show no Redis error or skipped lookup after Redis died")
	}
	var m target.MetricsReport
	c.expect("GET", "/api/v1/metrics", "", 200, &m)
	if m.Redis.Available || m.Redis.Failures == 0 {
		t.Fatalf("JSON metrics with Redis down: %+v", m.Redis)
	}
}

func TestPoolRecoversFromTerminatedBackends(t *testing.T) {
	cfg := testConfig(t)
	c := start(t, cfg)
	// Open every connection of the pool.
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() { defer wg.Done(); c.do("GET", "/api/v1/users/3/conversations?limit=3", "") }()
	}
	wg.Wait()

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var killed int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no backend to terminate")
	}
	failures := 0
	for i := range 40 {
		code, b, _ := c.do("GET", "/api/v1/users/3/conversations?limit=3", "")
		switch {
		case code == 200:
		case code == 503 && i < 30:
			failures++
			if strings.Contains(string(b), "terminat") || strings.Contains(string(b), "SQLSTATE") {
				t.Fatalf("503 leaks the driver error: %s", b)
			}
		default:
			t.Fatalf("request %d after terminating %d backends: %d %s", i, killed, code, b)
		}
	}
	// Reads run again on another connection when theirs was dead, so no
	// request fails.
	if failures != 0 {
		t.Fatalf("%d requests failed after terminating %d connections", failures, killed)
	}
	t.Logf("terminated %d backends; %d requests failed, then the pool recovered", killed, failures)
}

func TestGracefulShutdownDrains(t *testing.T) {
	t.Parallel()
	// The LLM says when the chat reaches it and answers when released, so
	// the test knows the chat is in flight without guessing how long.
	asked, release := make(chan struct{}), make(chan struct{})
	llm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(asked)
		<-release
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"choices":[{"index":0,"message":{"role":"assistant","content":"Eggs are fine."}}]}`))
	}))
	defer llm.Close()
	cfg := testConfig(t)
	cfg.LLM = agent.Config{Provider: agent.ProviderOpenAI, BaseURL: llm.URL}
	s, err := target.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()

	type result struct {
		code int
		body string
		err  error
	}
	inflight := make(chan result, 1)
	// A question of its own: the LLM's answers are cached, and the test
	// counts the stored question.
	question := fmt.Sprintf("shutdown question about eggs %d", time.Now().UnixNano())
	go func() {
		req, _ := http.NewRequest("POST", url+"/api/v1/chat", strings.NewReader(`{"user_id":4,"message":"`+question+`"}`))
		req.Header.Set("X-API-Key", "dev-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			inflight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, err = fmt.Fprint(&b, resp.Status)
		inflight <- result{code: resp.StatusCode, err: err}
	}()
	select {
	case <-asked: // the chat is now waiting on the LLM
	case r := <-inflight:
		t.Fatalf("the chat answered without asking the LLM: %d, %v", r.code, r.err)
	}
	cancel()
	// Shutdown has begun once the listener refuses new connections; only
	// then does the LLM answer the chat in flight.
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(url + "/api/health")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections 10s after the shutdown began")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)

	r := <-inflight
	if r.err != nil || r.code != 200 {
		t.Fatalf("in-flight chat during shutdown: %d, %v", r.code, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	// The acknowledged exchange is stored.
	conn, err := pgx.Connect(context.Background(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(),
		"SELECT count(*) FROM messages WHERE user_id = 4 AND content = $1", question).Scan(&n); err != nil || n != 1 {
		t.Fatalf("stored question: %d, %v", n, err)
	}
	if _, err := http.Get(url + "/api/health"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
	s.Close() // a second Close is harmless
}

func TestBaselineProfile(t *testing.T) {
	cfg := testConfig(t)
	cfg.Profile = target.Baseline
	t.Cleanup(func() {
		// Give the other tests their indexes back.
		if err := migrations.Up(context.Background(), cfg.DatabaseURL); err != nil {
			t.Error(err)
		}
	})
	c := start(t, cfg)
	var h target.Health
	c.expect("GET", "/api/health", "", 200, &h)
	if h.Profile != "baseline" {
		t.Fatalf("profile %q", h.Profile)
	}
	if ok, err := migrations.IndexesApplied(context.Background(), cfg.DatabaseURL); err != nil || ok {
		t.Fatalf("indexes applied in baseline: %v, %v", ok, err)
	}
	for range 3 {
		c.expect("GET", "/api/v1/nutrition/foods/8", "", 200, nil)
	}
	if hits := c.metric(`loadgate_cache_requests_total{cache="food",result="hit"}`); hits != 0 {
		t.Fatalf("baseline cache hits: %v", hits)
	}
	if misses := c.metric(`loadgate_cache_requests_total{cache="food",result="miss"}`); misses != 3 {
		t.Fatalf("baseline cache misses: %v, want 3", misses)
	}
	if max := c.metric("loadgate_db_pool_max_conns"); max != target.BaselinePoolSize {
		t.Fatalf("baseline pool size %v", max)
	}
	var board struct{ Source string }
	c.expect("GET", "/api/v1/leaderboard", "", 200, &board)
	if board.Source != "postgres" {
		t.Fatalf("baseline leaderboard from %s", board.Source)
	}
	everyRoute(t, c, "baseline")
}

// The exposition passes the linter promtool check metrics runs.
func TestMetricsExpositionLints(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	everyRoute(t, c, "lint")
	_, b, resp := c.do("GET", "/metrics", "")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("content type %q", ct)
	}
	problems, err := promlint.New(strings.NewReader(string(b))).Lint()
	if err != nil {
		t.Fatalf("parsing the exposition: %v", err)
	}
	// Every family, the Go and process collectors' included: promtool
	// check metrics fails on any problem.
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	for _, name := range []string{"loadgate_http_requests_total", "loadgate_http_request_duration_seconds_bucket",
		"loadgate_cache_requests_total", "loadgate_cache_lookups_total", "loadgate_db_query_duration_seconds_bucket",
		"loadgate_db_pool_acquired_conns",
		"loadgate_db_pool_idle_conns", "loadgate_db_pool_max_conns", "loadgate_db_pool_acquire_wait_seconds_total",
		"loadgate_db_pool_empty_acquire_total", "process_resident_memory_bytes", "go_goroutines",
		"loadgate_chat_streams_total", "loadgate_chat_stream_tokens_total",
		"loadgate_chat_time_to_first_token_seconds_bucket", "loadgate_chat_inter_token_seconds_bucket"} {
		if !strings.Contains(string(b), "\n"+name) {
			t.Errorf("exposition lacks %s", name)
		}
	}
}

func TestHealthDownWhenPostgresIsGone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	server := os.Getenv("DATABASE_URL")
	if server == "" {
		server = testdb.DefaultDatabaseURL
	}
	name := testdb.Name() + "_gone"
	url, err := testdb.Create(ctx, server, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testdb.Drop(ctx, server, name) })
	cfg := testConfig(t)
	cfg.DatabaseURL = url
	c := start(t, cfg)
	var h target.Health
	c.expect("GET", "/api/health", "", 200, &h)

	if err := testdb.Drop(ctx, server, name); err != nil {
		t.Fatal(err)
	}
	c.expect("GET", "/api/health", "", 503, &h)
	if h.Status != "down" || h.Postgres != "down" {
		t.Fatalf("health without PostgreSQL: %+v", h)
	}
	var e apiErr
	c.expect("GET", "/api/v1/nutrition/foods/1", "", 503, &e)
	if e.Error.Code != "unavailable" || strings.Contains(e.Error.Message, name) {
		t.Fatalf("error %+v", e.Error)
	}
}
