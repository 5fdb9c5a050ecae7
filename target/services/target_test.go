package services

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
// process, it answers every path with its process id on the address after
// "--" until SIGTERM; with the environment saying "fail" it exits at once.
func TestHelperTarget(t *testing.T) {
	switch os.Getenv(envHelperTarget) {
	case "":
		t.Skip("the fake target of TestStartTarget")
	case "fail":
		fmt.Println("the fake target fails to start")
		os.Exit(3)
	}
	srv := &http.Server{Addr: flag.Arg(0), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getpid())
	})}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() { <-sig; srv.Close() }()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
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
