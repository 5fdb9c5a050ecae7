package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// headerLog records the headers of every request a server saw.
type headerLog struct {
	mu   sync.Mutex // guards seen
	seen []http.Header
}

func (l *headerLog) add(h http.Header) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, h.Clone())
}

func (l *headerLog) all() []http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]http.Header(nil), l.seen...)
}

// TestRedirectToAnotherHostDropsSecrets: the target (127.0.0.1) redirects
// every request to another host (localhost, the same listener's port on
// another server), which must see none of the headers loadgate treats as
// secret: the credential names (X-API-Key, X-Session-Token), a name the
// scenario lists in target.secret_headers, and headers whose value is a
// template (an extracted token, a data value); nor the Referer, which
// carries the first URL's query (a token there). The harmless header and
// the requests that stay on the target keep them, for plain requests (the
// vegeta attack, the setup request, the scrapes of the metrics URL) and
// flow steps alike.
func TestRedirectToAnotherHostDropsSecrets(t *testing.T) {
	var other headerLog
	away := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other.add(r.Header)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(away.Close)
	awayURL := strings.Replace(away.URL, "127.0.0.1", "localhost", 1)

	var target headerLog
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			return
		case "/login":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"token": "tok-extracted"}`))
			return
		case "/here":
			target.add(r.Header)
			w.Write([]byte("ok"))
			return
		case "/stay":
			http.Redirect(w, r, "/here", http.StatusFound)
			return
		}
		target.add(r.Header)
		http.Redirect(w, r, awayURL+"/landing", http.StatusFound)
	}))
	t.Cleanup(srv.Close)

	// The rest of the target block: a credential name, a name listed as
	// secret, a harmless header.
	const secrets = `  headers: {X-API-Key: key-static, X-Tenant-Pin: pin-static, X-Trace: trace-static}
  secret_headers: [x-tenant-pin]
`
	for _, tt := range []struct {
		name string
		body string
		// templated is the header whose value was a template.
		templated []string
	}{
		{"plain requests", `load:
  stages: [{duration: 300ms, rate: 20/s}]
data:
  user: {values: [user-data]}
setup: [{name: prepare, path: "/go?token={{user}}", headers: {X-User: "{{user}}"}}]
requests:
  - {name: away, path: "/go?token={{user}}", headers: {X-User: "{{user}}"}}
  - {name: stay, path: /stay, headers: {X-User: "{{user}}"}}
metrics: {url: "${TARGET}/metrics", interval: 100ms}
`, []string{"X-User"}},
		{"flow steps", `load:
  stages: [{duration: 300ms, rate: 20/s}]
flows:
  - name: f
    steps:
      - name: login
        path: /login
        extract:
          token: {json: $.token}
      - {name: away, path: "/go?token={{token}}", headers: {X-Session-Token: "{{token}}", X-Who: "u-{{token}}"}}
      - {name: stay, path: /stay, headers: {X-Session-Token: "{{token}}", X-Who: "u-{{token}}"}}
`, []string{"X-Session-Token", "X-Who"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			other.seen, target.seen = nil, nil
			sc := scenarioFor(t, srv.URL, secrets+strings.ReplaceAll(tt.body, "${TARGET}", srv.URL))
			run, _, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			if run.Overall.Requests == 0 || run.Overall.Successes != run.Overall.Requests {
				t.Fatalf("overall %+v", run.Overall)
			}
			drop := append([]string{"X-Api-Key", "X-Tenant-Pin", "Referer"}, tt.templated...)
			seen := other.all()
			if len(seen) == 0 {
				t.Fatal("no request reached the other host")
			}
			for _, h := range seen {
				for _, name := range drop {
					if v := h.Get(name); v != "" {
						t.Errorf("the other host got %s: %s", name, v)
					}
				}
				if h.Get("X-Trace") != "trace-static" {
					t.Errorf("the other host did not get the harmless header: %v", h)
				}
			}
			stayed := 0
			for _, h := range target.all() {
				if h.Get("Referer") == "" {
					continue // not a redirect
				}
				stayed++
				for _, name := range drop[:2] {
					if h.Get(name) == "" {
						t.Errorf("a redirect on the target's own host lost %s: %v", name, h)
					}
				}
				for _, name := range tt.templated {
					if h.Get(name) == "" {
						t.Errorf("a redirect on the target's own host lost %s: %v", name, h)
					}
				}
			}
			if stayed == 0 {
				t.Error("no redirect stayed on the target")
			}
		})
	}
}

// TestCheckRedirectLeavingTheOrigin: the policy drops the secret headers
// and the Referer once a chain has left the first request's origin (another
// port or scheme is another origin), also when it comes back; on the origin
// it keeps them, and the Referer loses only the targeter's "#n" tag.
func TestCheckRedirectLeavingTheOrigin(t *testing.T) {
	t.Parallel()
	newReq := func(u string) *http.Request {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Api-Key", "k")
		req.Header.Set("X-Mine", "m")
		req.Header.Set("X-Trace", "t")
		req.Header.Set("Referer", "http://a.test/x?token=t#3")
		return req
	}
	secret := func(name string) bool { return name == "X-Mine" || name == "X-Api-Key" }
	for _, tt := range []struct {
		name  string
		chain []string // the first request, the redirects before, the next one
		drops bool
	}{
		{"same origin", []string{"http://a.test/", "http://a.test:80/next"}, false},
		{"another host", []string{"http://a.test/", "http://b.test/next"}, true},
		{"another port", []string{"http://a.test/", "http://a.test:8080/next"}, true},
		{"another scheme", []string{"https://a.test/", "http://a.test:443/next"}, true},
		{"back from another host", []string{"http://a.test/", "http://b.test/", "http://a.test/next"}, true},
	} {
		var via []*http.Request
		for _, u := range tt.chain[:len(tt.chain)-1] {
			via = append(via, newReq(u))
		}
		req := newReq(tt.chain[len(tt.chain)-1])
		if err := checkRedirect(10, secret)(req, via); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for _, name := range []string{"X-Api-Key", "X-Mine", "Referer"} {
			if got := req.Header.Get(name) == ""; got != tt.drops {
				t.Errorf("%s: %s dropped %v, want %v", tt.name, name, got, tt.drops)
			}
		}
		if req.Header.Get("X-Trace") != "t" {
			t.Errorf("%s: the harmless header was dropped", tt.name)
		}
		if ref := req.Header.Get("Referer"); !tt.drops && ref != "http://a.test/x?token=t" {
			t.Errorf("%s: Referer %q, want it without its fragment", tt.name, ref)
		}
	}
}
