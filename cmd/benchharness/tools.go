package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// child is a finished child process.
type child struct {
	out     []byte        // stdout and stderr
	maxRSS  int64         // peak resident set, bytes (wait4's rusage)
	cpu     time.Duration // user + system CPU time
	elapsed time.Duration
}

// command is a child that dies with this program (Pdeathsig) and is killed
// when ctx ends.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// runChild runs name to the end and measures its peak memory. okCodes are
// exit codes that are not errors besides 0.
func runChild(ctx context.Context, okCodes []int, name string, args ...string) (child, error) {
	var buf bytes.Buffer
	cmd := command(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err := cmd.Run()
	c := child{out: buf.Bytes(), elapsed: time.Since(start)}
	if cmd.ProcessState != nil {
		c.maxRSS = maxRSSOf(cmd.ProcessState)
		c.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		for _, code := range okCodes {
			if exit.ExitCode() == code {
				err = nil
			}
		}
	}
	if err != nil {
		return c, fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, tail(c.out))
	}
	return c, nil
}

// tail is the end of a child's output, for error messages.
func tail(out []byte) string {
	if len(out) > 2000 {
		out = out[len(out)-2000:]
	}
	return string(out)
}

// startEndpoint re-executes this program with -serve and returns the
// endpoint's address and the child.
func startEndpoint(ctx context.Context) (string, *exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := command(ctx, self, "-serve")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting the endpoint: %w", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return "", nil, fmt.Errorf("the endpoint printed no address: %w", err)
	}
	go io.Copy(io.Discard, stdout)
	return strings.TrimSpace(line), cmd, nil
}

// ensureVegeta returns the vegeta CLI at the version go.mod requires,
// installing it with go install when it is missing or another version.
func ensureVegeta(ctx context.Context, log io.Writer) (string, error) {
	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		return "", fmt.Errorf("reading go.mod (run from the repository root): %w", err)
	}
	version, err := requiredVersion(gomod, vegetaModule)
	if err != nil {
		return "", err
	}
	gobin, err := goBin(ctx)
	if err != nil {
		return "", err
	}
	candidates := []string{filepath.Join(gobin, "vegeta")}
	if p, err := exec.LookPath("vegeta"); err == nil {
		candidates = append([]string{p}, candidates...)
	}
	for _, p := range candidates {
		if out, err := exec.CommandContext(ctx, "go", "version", "-m", p).Output(); err == nil &&
			bytes.Contains(out, []byte(vegetaModule+"\t"+version)) {
			return p, nil
		}
	}
	fmt.Fprintf(log, "installing the vegeta CLI %s (go install)\n", version)
	cmd := exec.CommandContext(ctx, "go", "install", vegetaModule+"@"+version)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %w\n%s", vegetaModule, version, err, out)
	}
	return candidates[len(candidates)-1], nil
}

// goBin is where go install puts binaries.
func goBin(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("go env: %w", err)
	}
	lines := strings.Split(string(out), "\n") // GOBIN's line may be empty
	if len(lines) >= 1 && strings.TrimSpace(lines[0]) != "" {
		return strings.TrimSpace(lines[0]), nil
	}
	if len(lines) < 2 {
		return "", errors.New("go env: no GOPATH")
	}
	return filepath.Join(strings.Split(strings.TrimSpace(lines[1]), string(os.PathListSeparator))[0], "bin"), nil
}

// ensureWrk returns wrk, installing Debian's package when it is missing and
// this program runs as root.
func ensureWrk(ctx context.Context, log io.Writer) (string, error) {
	if p, err := exec.LookPath("wrk"); err == nil {
		return p, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("wrk is not installed (apt-get install wrk, as root)")
	}
	fmt.Fprintln(log, "installing wrk (apt-get install -y wrk)")
	install := func() ([]byte, error) {
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "wrk")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	if _, err := install(); err != nil {
		if out, err := exec.CommandContext(ctx, "apt-get", "update").CombinedOutput(); err != nil {
			return "", fmt.Errorf("apt-get update: %w\n%s", err, tail(out))
		}
		if out, err := install(); err != nil {
			return "", fmt.Errorf("apt-get install wrk: %w\n%s", err, tail(out))
		}
	}
	return exec.LookPath("wrk")
}

// maxRSSOf is a finished process's peak resident set in bytes.
func maxRSSOf(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10 // kilobytes on Linux
	}
	return 0
}

// findK6 returns k6 when it is on the PATH, else "". benchharness does not
// install it: k6 is under the AGPL, which keeps it out of this project's
// tools, so it is measured only where someone installed it.
func findK6() string {
	p, err := exec.LookPath("k6")
	if err != nil {
		return ""
	}
	return p
}

// runK6 runs `k6 run` with users virtual users for dur, each sending GET
// url in a loop (no think time, as the other tools), and reads its rate
// from the summary it exports.
func runK6(ctx context.Context, bin, tmp, url string, users int, dur string) (measure, error) {
	script := filepath.Join(tmp, "k6.js")
	if err := os.WriteFile(script, []byte(fmt.Sprintf("import http from 'k6/http';\nexport default function () { http.get(%q); }\n", url)), 0o644); err != nil {
		return measure{}, err
	}
	summary := filepath.Join(tmp, "k6-summary.json")
	c, err := runChild(ctx, nil, bin, "run", "--quiet", "--no-usage-report", "--vus", fmt.Sprint(users), "--duration", dur,
		"--summary-export", summary, script)
	if err != nil {
		return measure{}, err
	}
	data, err := os.ReadFile(summary)
	if err != nil {
		return measure{}, fmt.Errorf("k6: %w", err)
	}
	rate, n, err := k6Rate(data)
	return measure{rate: rate, requests: n, maxRSS: c.maxRSS, cpu: c.cpu}, err
}
