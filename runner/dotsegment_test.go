package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestDotSegmentsFromTemplatesAreEscaped: a value that lands as a whole
// path segment and is "." or ".." (a data value, an extracted one) reaches
// the server escaped ("%2E%2E"), so it never names the parent or the same
// directory; the request line is what the server records before any
// cleaning. Other dots are sent as they are, and the scenario's own path
// is left alone.
func TestDotSegmentsFromTemplatesAreEscaped(t *testing.T) {
	var mu sync.Mutex // guards uris
	var uris []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			return
		case "/login":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"next": "..", "same": "."}`))
			return
		}
		mu.Lock()
		uris = append(uris, r.RequestURI)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	// The request mix alone runs on vegeta, with flows on the flow engine.
	for _, body := range []string{`load:
  stages: [{duration: 400ms, rate: 20/s}]
data:
  seg: {values: [".", "..", "...", "a..b"], pick: sequential}
requests:
  - {name: data, path: "/api/{{seg}}/secret?q={{seg}}"}
`, `load:
  stages: [{duration: 200ms, rate: 20/s}]
flows:
  - name: f
    steps:
      - name: login
        path: /login
        extract:
          next: {json: $.next}
          same: {json: $.same}
      - {name: up, path: "/api/{{next}}/{{same}}/secret"}
      - {name: own, path: "/api/./x/../y"}
`} {
		if _, _, err := runWritten(context.Background(), scenarioFor(t, srv.URL, body), WithResultsRoot(t.TempDir())); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range uris {
		path, _, _ := strings.Cut(u, "?")
		if path == "/api/./x/../y" {
			continue // the scenario's own dot segments
		}
		if segs := strings.Split(path, "/"); slices.Contains(segs, "..") || slices.Contains(segs, ".") {
			t.Errorf("the server got a dot segment: %s", u)
		}
	}
	for _, want := range []string{"/api/%2E%2E/secret?q=..", "/api/%2E/secret?q=.", "/api/.../secret?q=...", "/api/a..b/secret?q=a..b", "/api/%2E%2E/%2E/secret", "/api/./x/../y"} {
		if !slices.Contains(uris, want) {
			t.Errorf("the server never got %s; got %q", want, uris)
		}
	}
}
