package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/scenarios"
)

// ownAPI is a target of one's own: /api/cart answers, every other path
// (the root, /api/health) is 404 unless root is set; it records the paths
// asked for.
type ownAPI struct {
	root int // status of GET /, 0: 404

	mu    sync.Mutex // guards paths
	paths []string
}

func (a *ownAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.paths = append(a.paths, r.URL.Path)
	a.mu.Unlock()
	switch {
	case r.URL.Path == "/api/cart":
		fmt.Fprint(w, `{"items": []}`)
	case r.URL.Path == "/" && a.root != 0:
		w.WriteHeader(a.root)
	default:
		http.NotFound(w, r)
	}
}

func (a *ownAPI) asked(path string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, p := range a.paths {
		if p == path {
			n++
		}
	}
	return n
}

// TestPreflightHealthKey: without a health key the preflight only asks
// whether the base URL answers HTTP at all (any status), so an API without
// /api/health is load-tested; a health path given must answer 2xx; "none"
// sends nothing before the attack. A refusal says how to change the check.
func TestPreflightHealthKey(t *testing.T) {
	cases := []struct {
		name   string
		health string // the target.health line, "" for none
		root   int    // what GET / answers (0: 404)
		// want: the run goes ahead, else the error names these
		ok        bool
		errParts  []string
		preflight string // the path the preflight asked for, "" for none
	}{
		// The README's own API: no /api/health, the root is a 404.
		{name: "no key, root 404", ok: true, preflight: "/"},
		// Any status is an answer: a 500 at the root is not the check's business.
		{name: "no key, root 500", root: 500, ok: true, preflight: "/"},
		// A health path given is checked: 404 there refuses the run, and the
		// message says how to change the path or turn the check off.
		{name: "health path 404", health: "  health: /healthz\n", errParts: []string{"/healthz", "404", "target.health", "health: none"}, preflight: "/healthz"},
		// A health path that answers 2xx.
		{name: "health path ok", health: "  health: /api/cart\n", ok: true, preflight: "/api/cart"},
		// none: nothing is sent before the attack.
		{name: "none", health: "  health: none\n", ok: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := &ownAPI{root: c.root}
			srv := httptest.NewServer(api)
			t.Cleanup(srv.Close)
			src := fmt.Sprintf("name: own\ntarget:\n  base_url: %s\n  timeout: 5s\n%sload:\n  stages: [{duration: 500ms, rate: 10/s}]\nrequests: [{name: cart, path: /api/cart}]\n", srv.URL, c.health)
			sc, err := scenarios.Parse([]byte(src), "own.yaml", t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			run, _, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()), WithPreflightTimeout(time.Second))
			if c.ok {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				if run.Overall.Successes == 0 {
					t.Errorf("no successful request: %+v", run.Overall)
				}
			} else {
				if !errors.Is(err, ErrUnreachable) {
					t.Fatalf("err = %v, want ErrUnreachable", err)
				}
				for _, p := range c.errParts {
					if !strings.Contains(err.Error(), p) {
						t.Errorf("error %q lacks %q", err, p)
					}
				}
				if n := api.asked("/api/cart"); n != 0 {
					t.Errorf("%d load requests sent after a refused preflight", n)
				}
			}
			if c.preflight != "" && c.preflight != "/api/cart" && api.asked(c.preflight) != 1 {
				t.Errorf("preflight asked %s %d times, want once (paths %v)", c.preflight, api.asked(c.preflight), api.paths)
			}
			if api.asked("/api/health") != 0 {
				t.Error("/api/health asked for, though the scenario does not name it")
			}
			if c.preflight == "" && (api.asked("/") != 0 || api.asked("/healthz") != 0) {
				t.Errorf("health: none, yet the preflight asked: %v", api.paths)
			}
		})
	}
}

// TestPreflightBaseURLDown: without a health key, a base URL where nothing
// listens is refused naming the URL, with the same hint.
func TestPreflightBaseURLDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	src := fmt.Sprintf("name: own\ntarget:\n  base_url: %s\nload:\n  stages: [{duration: 500ms, rate: 10/s}]\nrequests: [{name: cart, path: /api/cart}]\n", url)
	sc, err := scenarios.Parse([]byte(src), "own.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()), WithPreflightTimeout(500*time.Millisecond))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	for _, p := range []string{url, "target.health", "health: none"} {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q lacks %q", err, p)
		}
	}
}

// TestPreflightRetriesOnTheClock: a target that cannot be reached yet is
// asked again after a pause on the runner's clock: two failed connections
// and then an answer are two pauses of preflightRetry asked of the clock
// (which jumps through them) and a healthy target.
func TestPreflightRetriesOnTheClock(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	client := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		if calls.Add(1) <= 2 {
			return nil, errors.New("connection refused")
		}
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Request: r,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(`{"profile":"p"}`))}, nil
	})}
	jc := &jumpClock{at: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	h, err := preflight(context.Background(), jc.clock(), client, "http://target.test/health", false, nil, time.Minute)
	if err != nil || h.Profile != "p" || calls.Load() != 3 {
		t.Fatalf("preflight: %+v, %v after %d calls", h, err, calls.Load())
	}
	if want := []time.Duration{preflightRetry, preflightRetry}; !slices.Equal(jc.asked, want) {
		t.Errorf("paused %v on the clock, want %v", jc.asked, want)
	}
}

// roundTripper is a function as an http.RoundTripper.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
