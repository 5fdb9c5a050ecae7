package main

import "testing"

func TestRequiredVersion(t *testing.T) {
	gomod := []byte("module x\n\ngo 1.26\n\nrequire (\n\tgithub.com/a/b v1.0.0\n\tgithub.com/tsenart/vegeta/v12 v12.13.0\n)\nrequire github.com/c/d v2.0.0 // indirect\n")
	if v, err := requiredVersion(gomod, vegetaModule); err != nil || v != "v12.13.0" {
		t.Errorf("got %q, %v", v, err)
	}
	if v, err := requiredVersion(gomod, "github.com/c/d"); err != nil || v != "v2.0.0" {
		t.Errorf("single-line require: got %q, %v", v, err)
	}
	if _, err := requiredVersion(gomod, "github.com/tsenart/vegeta"); err == nil {
		t.Error("a module go.mod does not require was found")
	}
}

func TestVegetaRate(t *testing.T) {
	// Cut from `vegeta report -type=json` of v12.13.0.
	rep := []byte(`{"latencies":{"total":2951850236,"mean":64815},"bytes_in":{"total":91082,"mean":2},"bytes_out":{"total":0,"mean":0},"earliest":"2026-11-29T09:36:43Z","latest":"2026-11-29T09:36:46Z","end":"2026-11-29T09:36:46Z","duration":2999937424,"wait":65061,"requests":45541,"rate":15180.65,"throughput":15180.32,"success":1,"status_codes":{"200":45541},"errors":[]}`)
	rate, n, err := vegetaRate(rep)
	if err != nil || rate != 15180.65 || n != 45541 {
		t.Errorf("got %v %v %v", rate, n, err)
	}
	if _, _, err := vegetaRate([]byte(`{"latencies":{}}`)); err == nil {
		t.Error("a report without rate was accepted")
	}
}

func TestWrkRate(t *testing.T) {
	out := []byte(`Running 3s test @ http://127.0.0.1:43231/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.21ms    1.02ms  20.11ms   80.00%
    Req/Sec    14.56k     1.20k   17.00k    70.00%
  91172 requests in 3.10s, 10.00MB read
Requests/sec:  28963.21
Transfer/sec:      3.22MB
`)
	rate, n, err := wrkRate(out)
	if err != nil || rate != 28963.21 || n != 91172 {
		t.Errorf("got %v %v %v", rate, n, err)
	}
	if _, _, err := wrkRate([]byte("unable to connect to 127.0.0.1:1 Connection refused\n")); err == nil {
		t.Error("output without figures was accepted")
	}
}

func TestVmRSS(t *testing.T) {
	st := []byte("Name:\tloadgate\nVmPeak:\t  900 kB\nVmRSS:\t   30924 kB\nRssAnon:\t 20000 kB\n")
	if b, err := vmRSS(st); err != nil || b != 30924<<10 {
		t.Errorf("got %v %v", b, err)
	}
	if _, err := vmRSS([]byte("Name:\tx\n")); err == nil {
		t.Error("status without VmRSS was accepted")
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

func TestK6Rate(t *testing.T) {
	// Cut from `k6 run --summary-export` (v1.x).
	sum := []byte(`{"root_group":{},"metrics":{"http_req_duration":{"avg":1.2,"p(95)":2.9},"http_reqs":{"count":120345,"rate":12034.5},"iterations":{"count":120345,"rate":12034.5}}}`)
	rate, n, err := k6Rate(sum)
	if err != nil || rate != 12034.5 || n != 120345 {
		t.Errorf("got %v %v %v", rate, n, err)
	}
	if _, _, err := k6Rate([]byte(`{"metrics":{"iterations":{"count":1,"rate":1}}}`)); err == nil {
		t.Error("a summary without http_reqs was accepted")
	}
}
