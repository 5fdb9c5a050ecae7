package services

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/loadgate/loadgate/leftovers"
	"github.com/loadgate/loadgate/redact"
)

// Target is the reference target running as a child process, started by
// StartTarget. Fault drills restart it (faults.Target): the same address,
// environment and log.
type Target struct {
	base string
	addr string
	cfg  TargetConfig
	log  *os.File

	mu sync.Mutex // guards p
	p  *proc      // the running (or last) process
}

// proc is one process of the target.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd has exited and been reaped
	err  error         // its exit, once done is closed
}

// TargetConfig says how to run the target.
type TargetConfig struct {
	// Command makes the command that serves on addr (host:port), e.g.
	// `loadgate serve --addr ADDR`; it is called at every (re)start.
	Command func(addr string) (*exec.Cmd, error)
	// Env is the process's environment (Start adds EnvListenFD).
	Env []string
	// AnyPort starts it on a free port rather than 127.0.0.1:8080, which
	// every other loadgate on the machine asks for first: what a target
	// that restarts wants, whose address is free while it is down.
	AnyPort bool
	// Ledger, when set, records each process of the target while it runs,
	// so that a loadgate killed where the parent-death signal cannot reach
	// it is found out at the next start (leftovers.Check).
	Ledger *leftovers.Ledger
}

// EnvListenFD names, in the target's environment, the file descriptor of
// the listening socket it is handed (3): it serves on that socket rather
// than binding --addr itself.
const EnvListenFD = "LOADGATE_LISTEN_FD"

// SelfTarget is the reference target served by the running binary, which
// must be loadgate: `<this executable> serve --addr ADDR --profile profile`,
// with the process's environment and DATABASE_URL and REDIS_URL set to the
// URLs given. Set AnyPort on it as the caller needs.
func SelfTarget(profile, databaseURL, redisURL string) TargetConfig {
	return TargetConfig{
		Command: func(addr string) (*exec.Cmd, error) {
			self, err := os.Executable()
			if err != nil {
				return nil, err
			}
			return exec.Command(self, "serve", "--addr", addr, "--profile", profile), nil
		},
		Env: append(os.Environ(), "DATABASE_URL="+databaseURL, "REDIS_URL="+redisURL),
	}
}

// ListenerFromFD is the target's side of EnvListenFD: the listening socket
// inherited as file descriptor fd (the variable's value, "3"). A value that
// is not a descriptor number from 3 up, or a descriptor that is not a
// listening socket, is an error naming the variable.
func ListenerFromFD(fd string) (net.Listener, error) {
	n, err := strconv.Atoi(fd)
	if err != nil || n < 3 {
		return nil, fmt.Errorf("%s=%q: want the number of an inherited file descriptor (3 or more)", EnvListenFD, fd)
	}
	f := os.NewFile(uintptr(n), "listener")
	ln, err := net.FileListener(f)
	f.Close() // ln holds its own copy
	if err != nil {
		return nil, fmt.Errorf("%s=%s: not a listening socket: %w", EnvListenFD, fd, err)
	}
	return ln, nil
}

// StartTarget starts the target on 127.0.0.1:8080 when free, else on a free
// port (on a free port always when cfg.AnyPort), its output going to a
// temporary log, and waits until /api/health answers 200. An error quotes
// the end of the log.
func StartTarget(ctx context.Context, cfg TargetConfig) (*Target, error) {
	addr := "127.0.0.1:8080"
	if cfg.AnyPort {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil && !cfg.AnyPort {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return nil, err
	}
	addr = l.Addr().String()
	l.Close()
	logFile, err := os.CreateTemp("", "loadgate-target-*.log")
	if err != nil {
		return nil, err
	}
	t := &Target{base: "http://" + addr, addr: addr, cfg: cfg, log: logFile}
	if err := t.Start(ctx); err != nil {
		log, _ := os.ReadFile(logFile.Name())
		t.Stop()
		return nil, fmt.Errorf("the reference target did not come up at %s: %w\n%s", t.base, err, tail(string(log), 20))
	}
	return t, nil
}

// Base is the target's base URL, http://host:port.
func (t *Target) Base() string { return t.base }

// LogPath is the file its output goes to (removed by Stop).
func (t *Target) LogPath() string { return t.log.Name() }

// Start starts the target unless it runs, and waits until it is healthy.
// It binds the address itself and hands the process the listening socket
// (EnvListenFD), keeping no copy: the health check, and every request after
// it, can then only reach the process it started, and while that process is
// down the address refuses connections as a stopped server's does. An
// address another process took while the target was down is an error.
func (t *Target) Start(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.p != nil && !t.p.exited(0) {
		return nil
	}
	cmd, err := t.cfg.Command(t.addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", t.addr)
	if err != nil {
		return fmt.Errorf("the target's address is taken by another process: %w", err)
	}
	sock, err := ln.(*net.TCPListener).File()
	ln.Close() // sock is a copy of the listening socket
	if err != nil {
		return fmt.Errorf("handing the target its socket: %w", err)
	}
	cmd.ExtraFiles = []*os.File{sock}
	cmd.Env = append(slices.Clip(t.cfg.Env), EnvListenFD+"=3")
	cmd.Stdout, cmd.Stderr = t.log, t.log
	cmd.SysProcAttr = childAttr(nil) // its own group, and it dies with loadgate
	err = leftovers.Start(cmd)
	sock.Close() // the process has its own copy
	if err != nil {
		return fmt.Errorf("starting the target: %w", err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	t.p = p
	gone := t.cfg.Ledger.Process("the reference target on "+t.addr, cmd.Process.Pid, false)
	go func() { p.err = cmd.Wait(); gone(); close(p.done) }()
	exited := make(chan error, 1)
	go func() { <-p.done; exited <- p.err }()
	return waitHealthy(ctx, t.base+"/api/health", exited)
}

// exited waits up to d for the process to exit; it reports whether it has.
func (p *proc) exited(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	default:
	}
	if d <= 0 {
		return false
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.done:
		return true
	case <-timer.C:
		return false
	}
}

// end signals the process and waits for its exit (killing it after 20 s).
func (p *proc) end(sig syscall.Signal) {
	if p == nil || p.exited(0) {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	if !p.exited(20 * time.Second) {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Restart stops the target (SIGTERM: its graceful shutdown; SIGKILL when
// kill), starts it again and waits until it is healthy.
func (t *Target) Restart(ctx context.Context, kill bool) error {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	t.mu.Lock()
	t.p.end(sig)
	t.mu.Unlock()
	return t.Start(ctx)
}

// Stop ends the target for good and removes its log.
func (t *Target) Stop() {
	t.mu.Lock()
	t.p.end(syscall.SIGTERM)
	t.mu.Unlock()
	t.log.Close()
	os.Remove(t.log.Name())
}

// waitHealthy waits until url answers 200, the process exits or 60 s pass.
func waitHealthy(ctx context.Context, url string, exited <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := CheckHealth(ctx, url); err == nil {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("it exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("no healthy answer within 60s")
}

// CheckHealth GETs url once and succeeds on a 2xx answer, returning its
// status ("200 OK"): what healthy means for the target StartTarget waits
// for and for the container health check (loadgate healthcheck). ctx bounds
// the request. Its errors show the URL without its password.
func CheckHealth(ctx context.Context, url string) (string, error) {
	shown := redact.URL(url) // a URL's password is sent, never shown
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("health check: %w", redact.Error(err))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("health check %s: %w", shown, redact.Error(err))
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("health check %s: %s", shown, resp.Status)
	}
	return resp.Status, nil
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
