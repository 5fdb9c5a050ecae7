package runner

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// gzipped is data compressed with gzip.
func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBytesInCountsTheCompressedBody: a target that answers with a gzip
// body of 16 MiB that compresses to a few KB (with a Content-Length, and
// chunked without one) is counted in bytes_in at the body's size as sent,
// before decompression: the wire's, not the 16 MiB. The requests still ask
// for gzip as Go's client does (but for one that sets its own
// Accept-Encoding), and a flow step's checks read the body decompressed.
func TestBytesInCountsTheCompressedBody(t *testing.T) {
	bomb := gzipped(t, bytes.Repeat([]byte("a"), 16<<20))
	small := gzipped(t, []byte(`{"status": "ok", "pad": "`+strings.Repeat("b", 4000)+`"}`))
	var unasked atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := bomb
		switch r.URL.Path {
		case "/health":
			return
		case "/plain":
			w.Write([]byte("0123456789"))
			return
		case "/own":
			if ae := r.Header.Get("Accept-Encoding"); ae != "identity" {
				t.Errorf("the scenario's Accept-Encoding became %q", ae)
			}
			w.Write([]byte("0123456789"))
			return
		case "/json":
			body = small
		}
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			unasked.Add(1)
		}
		w.Header().Set("Content-Encoding", "gzip")
		if r.URL.Path == "/chunked" {
			// Two writes and a flush between: no Content-Length, chunked.
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			w.Write(body[len(body)/2:])
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	sizes := map[string]int{"gz": len(bomb), "chunked": len(bomb), "json": len(small), "plain": 10, "own": 10}
	for _, tt := range []struct{ name, body string }{
		{"vegeta", `load:
  stages: [{duration: 800ms, rate: 50/s}]
requests:
  - {name: gz, path: /gz}
  - {name: chunked, path: /chunked}
  - {name: plain, path: /plain}
  - {name: own, path: /own, headers: {Accept-Encoding: identity}}
`},
		{"flow", `load:
  stages: [{duration: 400ms, rate: 10/s}]
flows:
  - name: f
    steps:
      - {name: gz, path: /gz, check: [{body_contains: aaaa}]}
      - {name: chunked, path: /chunked}
      - {name: json, path: /json, check: [{json: $.status, equals: ok}]}
      - {name: plain, path: /plain}
      - {name: own, path: /own, headers: {Accept-Encoding: identity}}
`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run, _, err := runWritten(context.Background(), scenarioFor(t, srv.URL, tt.body), WithResultsRoot(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for name, st := range run.Endpoints {
				short := name[strings.LastIndexByte(name, '.')+1:]
				if st.Requests == 0 || st.Successes != st.Requests {
					t.Errorf("%s: %d of %d succeeded (errors %v, checks %v)", name, st.Successes, st.Requests, st.Errors, st.Checks)
				}
				if want := st.Requests * int64(sizes[short]); st.BytesIn != want {
					t.Errorf("%s: bytes_in %d over %d responses, want %d (%d a response)", name, st.BytesIn, st.Requests, want, sizes[short])
				}
				total += st.BytesIn
			}
			if run.Overall.BytesIn != total {
				t.Errorf("overall bytes_in %d, endpoints add up to %d", run.Overall.BytesIn, total)
			}
			if n := unasked.Load(); n != 0 {
				t.Errorf("%d requests did not ask for gzip", n)
			}
		})
	}
}
