package services

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadgate/loadgate/leftovers"
)

// envHelperTarget makes the test binary a fake target (TestHelperTarget).
const envHelperTarget = "LOADGATE_SERVICES_HELPER_TARGET"

// TestHelperTarget is not a test: run by TestStartTarget as the target
// process, it answers every path with its process id on the socket it is
// handed (EnvListenFD) until SIGTERM; with the environment saying "fail" it
// exits at once.
func TestHelperTarget(t *testing.T) {
	switch os.Getenv(envHelperTarget) {
	case "":
		t.Skip("the fake target of TestStartTarget")
	case "fail":
		fmt.Println("the fake target fails to start")
		os.Exit(3)
	}
	if os.Getenv(EnvListenFD) != "3" {
		fmt.Println("no socket handed to the fake target")
		os.Exit(1)
	}
	ln, err := ListenerFromFD(os.Getenv(EnvListenFD))
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getpid())
	})}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() { <-sig; srv.Close() }()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Println(err)
		os.Exit(1)
	}
	os.Exit(0)
}

func helperTarget(mode string) TargetConfig {
	return TargetConfig{
		Command: func(addr string) (*exec.Cmd, error) {
			return exec.Command(os.Args[0], "-test.run=^TestHelperTarget$", "--", addr), nil
		},
		Env: append(os.Environ(), envHelperTarget+"="+mode),
	}
}

// answer is what the target at base answers: its process id.
func answer(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStartTarget: the target starts and answers at Base, restarts as
// another process on the same address (SIGTERM or SIGKILL), and Stop ends it
// and removes its log; one that exits at once is an error quoting its log.
func TestStartTarget(t *testing.T) {
	ctx := context.Background()
	tg, err := StartTarget(ctx, helperTarget("serve"))
	if err != nil {
		t.Fatal(err)
	}
	first := answer(t, tg.Base())
	for _, kill := range []bool{false, true} {
		if err := tg.Restart(ctx, kill); err != nil {
			t.Fatalf("restart (kill %v): %v", kill, err)
		}
		if again := answer(t, tg.Base()); again == first || again == "" {
			t.Errorf("restart (kill %v): the same process answers (%s)", kill, again)
		} else {
			first = again
		}
	}
	log := tg.LogPath()
	tg.Stop()
	if _, err := http.Get(tg.Base() + "/api/health"); err == nil {
		t.Error("the target answers after Stop")
	}
	if _, err := os.Stat(log); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("log %s left behind: %v", log, err)
	}
	tg.Stop() // a second Stop is harmless

	_, err = StartTarget(ctx, helperTarget("fail"))
	if err == nil || !strings.Contains(err.Error(), "did not come up") || !strings.Contains(err.Error(), "fails to start") {
		t.Errorf("a target that exits: %v, want an error quoting its log", err)
	}
}

// TestTargetAddressTakenWhileDown: when another process binds the target's
// address while the target is down (between the kill and the start of a
// restart drill; 127.0.0.1:8080 is what every loadgate scenario on the
// machine asks for), starting again is an error, never a success because
// the other process answers the health check: a load test would otherwise
// go on against a server it did not start, and count its answers (the
// writes_lost gate counted acknowledged meals stored in another database).
func TestTargetAddressTakenWhileDown(t *testing.T) {
	ctx := context.Background()
	tg, err := StartTarget(ctx, helperTarget("serve"))
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Stop()
	tg.mu.Lock()
	tg.p.end(syscall.SIGKILL)
	tg.mu.Unlock()
	ln, err := net.Listen("tcp", tg.addr)
	if err != nil {
		t.Fatal(err)
	}
	other := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "another process") })}
	go other.Serve(ln)
	defer other.Close()
	err = tg.Start(ctx)
	if err == nil || !strings.Contains(err.Error(), tg.addr) {
		t.Errorf("started again while %s is another process's: %v", tg.addr, err)
	}

	// AnyPort: not the address every other loadgate asks for first.
	cfg := helperTarget("serve")
	cfg.AnyPort = true
	own, err := StartTarget(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer own.Stop()
	if own.addr == "127.0.0.1:8080" || answer(t, own.Base()) == "" {
		t.Errorf("AnyPort target at %s", own.addr)
	}
}

// TestSelfTarget: the reference target is this executable's serve command
// on the address given, in the profile given, with the services' URLs in its
// environment.
func TestSelfTarget(t *testing.T) {
	t.Parallel()
	cfg := SelfTarget("baseline", "postgres://db.example/x", "redis://cache.example:6379")
	cmd, err := cfg.Command("127.0.0.1:9999")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{self, "serve", "--addr", "127.0.0.1:9999", "--profile", "baseline"}; !slices.Equal(cmd.Args, want) || cmd.Path != self {
		t.Errorf("command %s %q, want %q", cmd.Path, cmd.Args, want)
	}
	for _, kv := range []string{"DATABASE_URL=postgres://db.example/x", "REDIS_URL=redis://cache.example:6379"} {
		if i := slices.Index(cfg.Env, kv); i < len(os.Environ()) {
			t.Errorf("environment has %s at %d, want it after the process's own %d (so that it wins)", kv, i, len(os.Environ()))
		}
	}
	if cfg.AnyPort {
		t.Error("AnyPort set: the caller chooses it")
	}
}

// TestListenerFromFD: a listening socket's descriptor gives a listener that
// accepts on its address; what is not a descriptor from 3 up, or not a
// listening socket, is an error naming LOADGATE_LISTEN_FD.
func TestListenerFromFD(t *testing.T) {
	t.Parallel()
	orig, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	sock, err := orig.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	// ListenerFromFD takes the descriptor over (and closes it): a copy.
	fd, err := syscall.Dup(int(sock.Fd()))
	sock.Close()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := ListenerFromFD(strconv.Itoa(fd))
	if err != nil {
		t.Fatalf("ListenerFromFD(%d): %v", fd, err)
	}
	defer ln.Close()
	if ln.Addr().String() != orig.Addr().String() {
		t.Errorf("listener on %s, want %s", ln.Addr(), orig.Addr())
	}

	file, err := os.CreateTemp(t.TempDir(), "not-a-socket")
	if err != nil {
		t.Fatal(err)
	}
	notSock, err := syscall.Dup(int(file.Fd()))
	file.Close()
	if err != nil {
		t.Fatal(err)
	}
	for bad, why := range map[string]string{
		"x":                   "want the number of an inherited file descriptor",
		"-1":                  "want the number of an inherited file descriptor",
		"2":                   "want the number of an inherited file descriptor", // stderr is never taken over
		strconv.Itoa(notSock): "not a listening socket",
	} {
		if l, err := ListenerFromFD(bad); err == nil {
			l.Close()
			t.Errorf("ListenerFromFD(%q) succeeded", bad)
		} else if !strings.Contains(err.Error(), EnvListenFD) || !strings.Contains(err.Error(), why) {
			t.Errorf("ListenerFromFD(%q): %v, want it to name %s and say %q", bad, err, EnvListenFD, why)
		}
	}
}

// TestCheckHealth: a 2xx answer is healthy, with its status; anything else,
// a server that does not answer or a URL that is none, is an error naming
// the URL.
func TestCheckHealth(t *testing.T) {
	t.Parallel()
	codes := map[string]int{"/ok": 200, "/empty": 204, "/down": 503, "/missing": 404}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(codes[r.URL.Path])
	}))
	defer srv.Close()
	for path, code := range codes {
		status, err := CheckHealth(context.Background(), srv.URL+path)
		switch {
		case code/100 == 2 && (err != nil || status != fmt.Sprintf("%d %s", code, http.StatusText(code))):
			t.Errorf("%s (%d): %q, %v; want healthy", path, code, status, err)
		case code/100 != 2 && (err == nil || !strings.Contains(err.Error(), srv.URL+path) || !strings.Contains(err.Error(), fmt.Sprint(code))):
			t.Errorf("%s (%d): %q, %v; want an error naming the URL and the status", path, code, status, err)
		}
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	if _, err := CheckHealth(context.Background(), closed.URL); err == nil || !strings.Contains(err.Error(), closed.URL) {
		t.Errorf("a server that is gone: %v", err)
	}
	if _, err := CheckHealth(context.Background(), "://no"); err == nil {
		t.Error("a URL that is none: no error")
	}
	// A URL's password is sent, never shown.
	withPassword := strings.Replace(srv.URL, "://", "://u:hunter2@", 1) + "/down"
	if _, err := CheckHealth(context.Background(), withPassword); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("an unhealthy URL with a password: %v, want an error without it", err)
	}
}

// envHelperLoadgate makes the test binary a loadgate that starts the fake
// target and is killed (TestHelperLoadgate).
const envHelperLoadgate = "LOADGATE_SERVICES_HELPER_LOADGATE"

// TestHelperLoadgate is not a test: run by TestTargetDiesWithLoadgate, it
// starts the fake target, prints the target's process id and SIGKILLs
// itself, leaving it no chance to stop the target.
func TestHelperLoadgate(t *testing.T) {
	if os.Getenv(envHelperLoadgate) == "" {
		t.Skip("the loadgate of TestTargetDiesWithLoadgate")
	}
	cfg := helperTarget("serve")
	cfg.AnyPort = true
	tg, err := StartTarget(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(answer(t, tg.Base()))
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// running reports whether process pid runs (a zombie does not: its parent
// is gone, and whoever inherits it may not reap it at once).
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}

// TestTargetDiesWithLoadgate: a loadgate SIGKILLed while its target runs
// takes the target along (a parent-death signal), instead of leaving it
// serving with parent 1 (issue 19).
func TestTargetDiesWithLoadgate(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperLoadgate$")
	helper.Env = append(os.Environ(), envHelperLoadgate+"=1")
	out, _ := helper.Output() // it dies by SIGKILL
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("the helper said %q", out)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	deadline := time.Now().Add(30 * time.Second)
	for running(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the target (pid %d) still runs 30 s after its loadgate was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTargetRecorded: while the target runs, the ledger holds its process
// (a restart replaces it); once stopped, nothing.
func TestTargetRecorded(t *testing.T) {
	ctx := context.Background()
	cfg := helperTarget("serve")
	cfg.AnyPort = true
	cfg.Ledger = leftovers.Open(t.TempDir())
	tg, err := StartTarget(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Stop()
	for _, restart := range []bool{false, true} {
		if restart {
			if err := tg.Restart(ctx, true); err != nil {
				t.Fatal(err)
			}
		}
		on := cfg.Ledger.On()
		if len(on) != 1 || strconv.Itoa(on[0].PID) != answer(t, tg.Base()) || on[0].What != "the reference target on "+tg.addr {
			t.Errorf("restarted %v: ledger %+v", restart, on)
		}
	}
	tg.Stop()
	if on := cfg.Ledger.On(); len(on) != 0 {
		t.Errorf("after Stop: %+v", on)
	}
}
