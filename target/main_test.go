package target_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/target"
	"github.com/loadgate/loadgate/target/agent"
	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var seedOnce sync.Once

// seeded migrates and seeds the package's database once.
func seeded(t testing.TB) string {
	t.Helper()
	url := testdb.URL(t)
	var err error
	seedOnce.Do(func() {
		ctx := context.Background()
		if err = migrations.Up(ctx, url); err != nil {
			return
		}
		err = seed.SeedURL(ctx, url, seed.Small())
	})
	if err != nil {
		t.Fatalf("seeding: %v", err)
	}
	return url
}

// testConfig is a target on the package's database and Redis prefix, with
// an instant LLM.
func testConfig(t testing.TB) target.Config {
	return target.Config{
		DatabaseURL: seeded(t),
		RedisURL:    testdb.RedisURL(t),
		KeyPrefix:   testdb.RedisPrefix(t),
		LLM:         agent.Config{SimNoDelay: true},
	}
}

// client is an httptest server of a target and the calls the tests make.
type client struct {
	t   *testing.T
	srv *httptest.Server
	s   *target.Server
	key string
}

func start(t *testing.T, cfg target.Config) *client {
	t.Helper()
	s, err := target.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("target.New: %v", err)
	}
	srv := httptest.NewUnstartedServer(s.Handler())
	// As Serve's server: a stream moves its connection's write deadline,
	// and a server's WriteTimeout sets it again for the next request.
	srv.Config.WriteTimeout = time.Minute
	srv.Start()
	t.Cleanup(func() { srv.Close(); s.Close() })
	return &client{t: t, srv: srv, s: s, key: seed.DefaultAPIKey}
}

// do sends a request and returns the status, the body and the response.
func (c *client) do(method, path, body string) (int, []byte, *http.Response) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.srv.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.key != "" {
		req.Header.Set("X-API-Key", c.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, b, resp
}

// get expects status want and decodes the body into v (when not nil).
func (c *client) expect(method, path, body string, want int, v any) *http.Response {
	c.t.Helper()
	code, b, resp := c.do(method, path, body)
	if code != want {
		c.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, code, want, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			c.t.Fatalf("%s %s: decoding %s: %v", method, path, b, err)
		}
	}
	return resp
}

// apiErr is the error body.
type apiErr struct {
	Error struct {
		Code, Message, Field string
	}
}

// metric returns the value of one sample line of /metrics (0 when absent).
func (c *client) metric(line string) float64 {
	c.t.Helper()
	_, b, _ := c.do("GET", "/metrics", "")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, line+" ") {
			var v float64
			if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(l, line))), &v); err != nil {
				c.t.Fatalf("metric %s: %v", l, err)
			}
			return v
		}
	}
	return 0
}
