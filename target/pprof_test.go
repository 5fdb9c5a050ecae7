package target_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/target"
)

// freeAddr is a loopback address nothing listens on (just now).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serveOnLoopback runs a target on a loopback listener until the test ends; it returns the
// API's URL.
func serveOnLoopback(t *testing.T, cfg target.Config) string {
	t.Helper()
	s, err := target.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func get(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// With PprofAddr, pprof answers there and not on the API's address.
func TestPprofOnItsOwnListener(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.PprofAddr = freeAddr(t)
	api := serveOnLoopback(t, cfg)
	var code int
	var body string
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, body, err = get("http://" + cfg.PprofAddr + "/debug/pprof/"); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || code != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("pprof index: %d, %v: %.200s", code, err, body)
	}
	if code, body, err = get("http://" + cfg.PprofAddr + "/debug/pprof/goroutine?debug=1"); err != nil || code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("goroutine profile: %d, %v: %.200s", code, err, body)
	}
	if code, _, err := get(api + "/debug/pprof/"); err != nil || code != 404 {
		t.Fatalf("API address serves pprof: %d, %v", code, err)
	}
}

// Without PprofAddr nothing serves pprof.
func TestPprofOffByDefault(t *testing.T) {
	t.Parallel()
	api := serveOnLoopback(t, testConfig(t))
	if code, _, err := get(api + "/api/health"); err != nil || code != 200 {
		t.Fatalf("health: %d, %v", code, err)
	}
	if code, _, err := get(api + "/debug/pprof/"); err != nil || code != 404 {
		t.Fatalf("API address serves pprof: %d, %v", code, err)
	}
}
