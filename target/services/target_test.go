package services

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
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
	ln, err := net.FileListener(os.NewFile(3, "listener"))
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
