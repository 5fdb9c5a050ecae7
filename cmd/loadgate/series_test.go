package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/loadgate/loadgate/record"
)

const seriesScenario = `name: shop
target:
  base_url: http://127.0.0.1:1
  health: none
load:
  stages:
    - {duration: 2s, rate: 30/s}
requests:
  - {name: order, path: /order}
metrics:
  url: http://127.0.0.1:1/metrics
  interval: 1s
gates:
  - %s
`

// TestGateOnCustomCounter: a gate on a counter the target exposes (not one
// of loadgate's names) reads its increase over the run: it passes when the
// increase is within the threshold and fails when it is not, and run.json
// holds the increase the target counted.
func TestGateOnCustomCounter(t *testing.T) {
	var failed, ok atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			fmt.Fprintf(w, "# TYPE shop_orders_total counter\nshop_orders_total{status=\"failed\"} %d\nshop_orders_total{status=\"ok\"} %d\n", failed.Load(), ok.Load())
			return
		}
		// Every third order fails (the response is still a 200).
		if (failed.Load()+ok.Load())%3 == 2 {
			failed.Add(1)
		} else {
			ok.Add(1)
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()

	cases := []struct {
		gate string
		code int
	}{
		{`increase(shop_orders_total{status="failed"}) < 1000`, 0}, // about 20 of 60 failed: holds
		{`increase(shop_orders_total{status="failed"}) < 5`, 1},    // fails
		{`rate(shop_orders_total) > 10/s`, 0},                      // 60 orders between the first and the last scrape, about 2 s apart
	}
	for _, c := range cases {
		t.Run(c.gate, func(t *testing.T) {
			failed.Store(0)
			ok.Store(0)
			out := filepath.Join(t.TempDir(), "r")
			scen := writeScenario(t, fmt.Sprintf(seriesScenario, "'"+c.gate+"'"))
			code, stdout, stderr := runCLI(t, "run", scen, "--target", srv.URL, "--out", out)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout, stderr)
			}
			run, err := record.ReadRun(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(run.Gates) != 1 || run.Gates[0].Value == nil {
				t.Fatalf("gates %+v, series %v, notes %v", run.Gates, run.Server.Series, run.Server.SeriesNotes)
			}
			// The increase is exactly what the target counted during the
			// run (the first scrape came before any load, the last after).
			if key := `increase(shop_orders_total{status="failed"})`; strings.HasPrefix(c.gate, "increase(") {
				if got, ok := run.Server.Series[key]; !ok || got != float64(failed.Load()) || got == 0 {
					t.Errorf("%s = %v; the target counted %d", key, got, failed.Load())
				}
			}
		})
	}
}
