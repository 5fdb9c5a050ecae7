package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/loadgate/loadgate/record"
)

// measure is what one tool achieved in one attack.
type measure struct {
	rate     float64 // requests per second
	requests int64
	maxRSS   int64 // bytes
	cpu      time.Duration
}

// cpuPerRequest is the tool's CPU time per request in microseconds: unlike
// the rate it does not depend on what else the machine runs.
func (m measure) cpuPerRequest() float64 {
	if m.requests == 0 {
		return 0
	}
	return float64(m.cpu.Microseconds()) / float64(m.requests)
}

// tool is one generator under test.
type tool struct {
	name string
	run  func(ctx context.Context, round int) (measure, error)
}

// bench runs the rounds and the long memory run, printing to w.
func bench(ctx context.Context, s settings, w io.Writer) error {
	if _, err := os.Stat(s.loadgate); err != nil {
		return fmt.Errorf("the loadgate binary: %w (make build)", err)
	}
	vegeta, err := ensureVegeta(ctx, w)
	if err != nil {
		return err
	}
	wrk, err := ensureWrk(ctx, w)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "bench-harness-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	addr, endpoint, err := startEndpoint(ctx)
	if err != nil {
		return err
	}
	defer func() {
		endpoint.Process.Kill()
		endpoint.Wait()
	}()
	url := "http://" + addr + "/"
	host, _ := os.Hostname()
	fmt.Fprintf(w, "bench-harness %s on %s (%d CPUs visible to Go): endpoint %s, %d users/connections, %d rounds of %s, then a %s loadgate run\n",
		time.Now().UTC().Format(time.RFC3339), host, runtime.NumCPU(), url, s.users, s.rounds, s.duration, s.long)
	k6 := findK6()
	fmt.Fprintf(w, "tools: %s, %s, %s", s.loadgate, vegeta, wrk)
	if k6 != "" {
		fmt.Fprintf(w, ", %s", k6)
	} else {
		fmt.Fprint(w, "; k6 not found on the PATH, so not measured (benchharness does not install it: AGPL)")
	}
	fmt.Fprintln(w)

	scenario := filepath.Join(tmp, "bench.yaml")
	if err := os.WriteFile(scenario, []byte(scenarioYAML(url, s.users, false)), 0o644); err != nil {
		return err
	}
	// The same load as a flow of one step: it runs on loadgate's flow
	// engine (as flows and streams do) instead of vegeta's attack.
	flowScenario := filepath.Join(tmp, "bench-flow.yaml")
	if err := os.WriteFile(flowScenario, []byte(scenarioYAML(url, s.users, true)), 0o644); err != nil {
		return err
	}
	dur := s.duration.String()
	tools := []tool{
		{"loadgate", func(ctx context.Context, round int) (measure, error) {
			return runLoadgate(ctx, s.loadgate, scenario, filepath.Join(tmp, "loadgate-"+strconv.Itoa(round)), dur)
		}},
		{"vegeta", func(ctx context.Context, round int) (measure, error) {
			return runVegeta(ctx, vegeta, tmp, url, s.users, dur)
		}},
		{"wrk", func(ctx context.Context, round int) (measure, error) {
			c, err := runChild(ctx, nil, wrk, "-t2", "-c"+strconv.Itoa(s.users), fmt.Sprintf("-d%ds", max(int(s.duration.Seconds()), 1)), url)
			if err != nil {
				return measure{}, err
			}
			rate, n, err := wrkRate(c.out)
			return measure{rate: rate, requests: n, maxRSS: c.maxRSS, cpu: c.cpu}, err
		}},
	}
	tools = append(tools, tool{"loadgate-flow", func(ctx context.Context, round int) (measure, error) {
		return runLoadgate(ctx, s.loadgate, flowScenario, filepath.Join(tmp, "loadgate-flow-"+strconv.Itoa(round)), dur)
	}})
	if s.baseline != "" {
		tools = append(tools, tool{"loadgate-baseline", func(ctx context.Context, round int) (measure, error) {
			return runLoadgate(ctx, s.baseline, scenario, filepath.Join(tmp, "baseline-"+strconv.Itoa(round)), dur)
		}}, tool{"loadgate-baseline-flow", func(ctx context.Context, round int) (measure, error) {
			return runLoadgate(ctx, s.baseline, flowScenario, filepath.Join(tmp, "baseline-flow-"+strconv.Itoa(round)), dur)
		}})
	}
	if k6 != "" {
		tools = append(tools, tool{"k6", func(ctx context.Context, round int) (measure, error) {
			return runK6(ctx, k6, tmp, url, s.users, dur)
		}})
	}
	all := map[string][]measure{}
	for round := 1; round <= s.rounds; round++ {
		order := slices.Clone(tools)
		if round%2 == 0 {
			slices.Reverse(order)
		}
		got := map[string]measure{}
		for _, t := range order {
			m, err := t.run(ctx, round)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", round, t.name, err)
			}
			got[t.name] = m
			all[t.name] = append(all[t.name], m)
		}
		var names []string
		for _, t := range order {
			names = append(names, t.name)
		}
		fmt.Fprintf(w, "\nround %d (order %v)\n", round, names)
		table(w, tools, false, func(name string) (measure, bool) { m, ok := got[name]; return m, ok })
	}
	med := map[string]measure{}
	for name, ms := range all {
		var rates, rss, cpu []float64
		for _, m := range ms {
			rates = append(rates, m.rate)
			rss = append(rss, float64(m.maxRSS))
			cpu = append(cpu, m.cpuPerRequest())
		}
		// A median measure: cpuPerRequest of 1000 requests is the median.
		med[name] = measure{rate: median(rates), maxRSS: int64(median(rss)), requests: 1000,
			cpu: time.Duration(median(cpu) * 1000 * float64(time.Microsecond))}
	}
	fmt.Fprintf(w, "\nmedians over %d rounds\n", s.rounds)
	table(w, tools, true, func(name string) (measure, bool) { m, ok := med[name]; return m, ok })
	lg, vg, wk := med["loadgate"], med["vegeta"], med["wrk"]
	fmt.Fprintf(w, "rate loadgate/vegeta %.2f (goal >= 1.30), loadgate/wrk %.2f (goal >= 0.60)", lg.rate/vg.rate, lg.rate/wk.rate)
	if k, ok := med["k6"]; ok {
		fmt.Fprintf(w, ", loadgate/k6 %.2f (goal >= 2.00)", lg.rate/k.rate)
	}
	fmt.Fprintf(w, "; peak RSS loadgate %.1f MiB (goal <= 30), loadgate/vegeta %.2f, loadgate/wrk %.2f; CPU per request loadgate/vegeta %.2f, loadgate/wrk %.2f\n",
		float64(lg.maxRSS)/(1<<20), float64(lg.maxRSS)/float64(vg.maxRSS), float64(lg.maxRSS)/float64(wk.maxRSS),
		lg.cpuPerRequest()/vg.cpuPerRequest(), lg.cpuPerRequest()/wk.cpuPerRequest())
	fl := med["loadgate-flow"]
	fmt.Fprintf(w, "the flow engine (a one-step flow) against vegeta's attack (the plain path): rate %.2f, CPU per request %.2f; loadgate-flow/vegeta %.2f\n",
		fl.rate/lg.rate, fl.cpuPerRequest()/lg.cpuPerRequest(), fl.rate/vg.rate)
	if b, ok := med["loadgate-baseline"]; ok {
		bf := med["loadgate-baseline-flow"]
		fmt.Fprintf(w, "against the baseline binary: plain path rate %.2f, peak RSS %.2f, CPU per request %.2f; flow engine rate %.2f, CPU per request %.2f; the baseline/vegeta %.2f, baseline/wrk %.2f\n",
			lg.rate/b.rate, float64(lg.maxRSS)/float64(b.maxRSS), lg.cpuPerRequest()/b.cpuPerRequest(), fl.rate/bf.rate, fl.cpuPerRequest()/bf.cpuPerRequest(), b.rate/vg.rate, b.rate/wk.rate)
	}
	fmt.Fprintln(w, "(loadgate's peak RSS and CPU include rendering its report; the machine may be shared: CPU per request depends less on that than the rate)")

	if s.long > 0 {
		return longRun(ctx, s, scenario, filepath.Join(tmp, "loadgate-long"), w)
	}
	return nil
}

// table prints one row per tool; median rows have no request count.
func table(w io.Writer, tools []tool, median bool, get func(string) (measure, bool)) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "tool\trequests/s\trequests\tpeak RSS MiB\tCPU µs/request\t")
	for _, t := range tools {
		m, ok := get(t.name)
		if !ok {
			continue
		}
		reqs := "-"
		if !median {
			reqs = strconv.FormatInt(m.requests, 10)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%.1f\t%.1f\t\n", t.name, m.rate, reqs, float64(m.maxRSS)/(1<<20), m.cpuPerRequest())
	}
	tw.Flush()
}

// scenarioYAML is loadgate's side of the comparison: the closed model,
// users with no think time, no warm-up, one request (or, with flow, a flow
// of that one step, which runs on the flow engine).
func scenarioYAML(url string, users int, flow bool) string {
	mix := "requests:\n  - {name: hit, path: /}\n"
	if flow {
		mix = "flows:\n  - name: f\n    cookies: false\n    steps: [{name: hit, path: /}]\n"
	}
	return fmt.Sprintf(`name: bench-harness
description: Harness overhead, closed model without think time against a trivial endpoint.
target:
  base_url: %s
  timeout: 30s
  health: /
load:
  model: closed
  warmup: 0s
  stages: [{duration: 10s, users: %d}]
%sgates: [error_rate < 1%%]
`, url, users, mix)
}

// runLoadgate runs `loadgate run` (report included) and reads its rate
// from run.json.
func runLoadgate(ctx context.Context, bin, scenario, out, dur string) (measure, error) {
	// Exit 1 is a failed gate: the figures still count, and the gate's
	// error rate is checked below.
	c, err := runChild(ctx, []int{1}, bin, "run", scenario, "--duration", dur, "--out", out)
	if err != nil {
		return measure{}, err
	}
	run, err := record.ReadRun(out)
	if err != nil {
		return measure{}, fmt.Errorf("loadgate: %w\n%s", err, tail(c.out))
	}
	if run.Overall.ErrorRate > 0.01 {
		return measure{}, fmt.Errorf("loadgate: error rate %.2f%%: %v", 100*run.Overall.ErrorRate, run.Overall.Errors)
	}
	return measure{rate: run.Overall.Rate.Achieved, requests: run.Overall.Requests, maxRSS: c.maxRSS, cpu: c.cpu}, nil
}

// runVegeta runs `vegeta attack` with its default (gob) encoding of every
// result to a file, then `vegeta report` for the rate.
func runVegeta(ctx context.Context, bin, tmp, url string, users int, dur string) (measure, error) {
	targets := filepath.Join(tmp, "targets.txt")
	if err := os.WriteFile(targets, []byte("GET "+url+"\n"), 0o644); err != nil {
		return measure{}, err
	}
	out := filepath.Join(tmp, "vegeta.bin")
	c, err := runChild(ctx, nil, bin, "attack", "-rate=0", "-max-workers="+strconv.Itoa(users), "-duration="+dur,
		"-targets="+targets, "-output="+out)
	if err != nil {
		return measure{}, err
	}
	defer os.Remove(out)
	rep, err := runChild(ctx, nil, bin, "report", "-type=json", out)
	if err != nil {
		return measure{}, err
	}
	rate, n, err := vegetaRate(rep.out)
	return measure{rate: rate, requests: n, maxRSS: c.maxRSS, cpu: c.cpu}, err
}

// longRun runs loadgate for s.long and samples its resident memory from
// /proc: early in the run (1 minute, or a tenth of a shorter run) and in
// its last second of attack.
func longRun(ctx context.Context, s settings, scenario, out string, w io.Writer) error {
	early := min(time.Minute, s.long/10)
	late := s.long - time.Second
	fmt.Fprintf(w, "\nloadgate memory over a %s run (VmRSS at %s and at %s)\n", s.long, early, late)
	cmd := command(ctx, s.loadgate, "run", scenario, "--duration", s.long.String(), "--out", out)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	status := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "status")
	var atEarly, atLate int64
	tick := time.NewTicker(200 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
wait:
	for {
		select {
		case werr = <-done:
			break wait
		case <-tick.C:
			data, err := os.ReadFile(status)
			if err != nil {
				continue
			}
			rss, err := vmRSS(data)
			if err != nil {
				continue
			}
			if t := time.Since(start); atEarly == 0 && t >= early {
				atEarly = rss
			} else if t <= late {
				atLate = rss
			}
		}
	}
	tick.Stop()
	if werr != nil && cmd.ProcessState.ExitCode() != 1 {
		return fmt.Errorf("loadgate run (long): %w", werr)
	}
	run, err := record.ReadRun(out)
	if err != nil {
		return fmt.Errorf("loadgate (long): %w", err)
	}
	maxRSS := maxRSSOf(cmd.ProcessState)
	if atEarly == 0 || atLate == 0 {
		return fmt.Errorf("loadgate (long): no VmRSS samples at %s and %s", early, late)
	}
	fmt.Fprintf(w, "%d requests at %.0f/s; VmRSS %.1f MiB at %s, %.1f MiB at %s: growth %+.1f%% (goal < 10%%); peak RSS %.1f MiB (report rendering included)\n",
		run.Overall.Requests, run.Overall.Rate.Achieved, float64(atEarly)/(1<<20), early, float64(atLate)/(1<<20), late,
		100*float64(atLate-atEarly)/float64(atEarly), float64(maxRSS)/(1<<20))
	return nil
}
