package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// vegetaModule is the module whose version go.mod pins.
const vegetaModule = "github.com/tsenart/vegeta/v12"

// requiredVersion finds module's version in go.mod's content.
func requiredVersion(gomod []byte, module string) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require "))
		if len(f) >= 2 && f[0] == module {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("go.mod: no requirement of %s", module)
}

// vegetaRate reads the achieved request rate from `vegeta report -type=json`.
func vegetaRate(report []byte) (rate float64, requests int64, err error) {
	var r struct {
		Requests *int64   `json:"requests"`
		Rate     *float64 `json:"rate"`
	}
	if err := json.Unmarshal(report, &r); err != nil {
		return 0, 0, fmt.Errorf("vegeta report: %w", err)
	}
	if r.Rate == nil || r.Requests == nil {
		return 0, 0, fmt.Errorf("vegeta report: no rate or requests in %.200q", report)
	}
	return *r.Rate, *r.Requests, nil
}

// k6Rate reads the request count and rate of http_reqs from the summary
// `k6 run --summary-export` writes.
func k6Rate(summary []byte) (rate float64, requests int64, err error) {
	var s struct {
		Metrics struct {
			Reqs *struct {
				Count *float64 `json:"count"`
				Rate  *float64 `json:"rate"`
			} `json:"http_reqs"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(summary, &s); err != nil {
		return 0, 0, fmt.Errorf("k6 summary: %w", err)
	}
	r := s.Metrics.Reqs
	if r == nil || r.Count == nil || r.Rate == nil {
		return 0, 0, fmt.Errorf("k6 summary: no http_reqs count and rate in %.200q", summary)
	}
	return *r.Rate, int64(*r.Count), nil
}

// wrkRate reads the "Requests/sec:" and "N requests in" lines of wrk's
// output.
func wrkRate(out []byte) (rate float64, requests int64, err error) {
	rate, requests = -1, -1
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			if rate, err = strconv.ParseFloat(f[1], 64); err != nil {
				return 0, 0, fmt.Errorf("wrk: %q: %w", line, err)
			}
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			if requests, err = strconv.ParseInt(f[0], 10, 64); err != nil {
				return 0, 0, fmt.Errorf("wrk: %q: %w", line, err)
			}
		}
	}
	if rate < 0 || requests < 0 {
		return 0, 0, fmt.Errorf("wrk: no Requests/sec or request count in %.300q", out)
	}
	return rate, requests, nil
}

// vmRSS reads VmRSS (bytes) from the content of /proc/PID/status.
func vmRSS(status []byte) (int64, error) {
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err != nil {
					return 0, fmt.Errorf("VmRSS %q: %w", line, err)
				}
				return kb << 10, nil
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS line in %.200q", status)
}

// median of xs (the mean of the middle two when even); 0 when empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
