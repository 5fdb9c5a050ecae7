package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

// TestKilledRunIsReadable runs the binary (this test binary acting as
// loadgate), kills it with SIGKILL once it has checkpointed, and then
// renders and gates what it left: the report says the run is incomplete,
// the gate exits 2 saying the run did not finish.
func TestKilledRunIsReadable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	scenario := writeScenario(t, fmt.Sprintf(`name: killed
target: {base_url: %s, health: none}
load:
  stages: [{duration: 5m, rate: 20/s}]
requests: [{name: hello, path: /hello}]
gates: [p95 < 10s]
`, srv.URL))
	cmd := exec.Command(exe, "run", scenario, "--out", dir)
	cmd.Env = append(os.Environ(), envCLI+"=1")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	// Wait for a checkpoint that measured requests (the first one is
	// written as the attack starts), or for the binary to give up. run.json
	// is replaced by a rename, so every read sees a whole file.
	deadline := time.Now().Add(30 * time.Second)
	for {
		cp, err := record.ReadRun(dir)
		if err == nil && cp.Overall.Requests > 0 {
			break
		} else if err != nil && !errors.Is(err, record.ErrMissing) {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("loadgate exited before its first checkpoint: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint within 30 s\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no chance to clean up
		t.Fatal(err)
	}
	<-exited
	exited <- nil

	code, out, errs := runCLI(t, "report", dir)
	if code != 0 {
		t.Fatalf("report on a killed run: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if !strings.Contains(errs, "did not finish") {
		t.Errorf("report does not say the run did not finish\nstderr: %s", errs)
	}
	for file, want := range map[string]string{
		record.ReportFile:  "INCOMPLETE",
		record.SummaryFile: "Incomplete",
		record.JUnitFile:   `type="RunIncomplete"`,
	} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), want) {
			t.Errorf("%s does not say %q", file, want)
		}
	}
	run, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != record.StatusRunning || run.Overall.Requests == 0 {
		t.Errorf("run.json after report: status %q, %d requests; want the checkpoint left as it was", run.Status, run.Overall.Requests)
	}

	code, out, errs = runCLI(t, "gate", dir)
	if code != 2 {
		t.Errorf("gate on a killed run: exit %d, want 2\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if !strings.Contains(out+errs, "did not finish") {
		t.Errorf("gate output does not say the run did not finish\nstdout: %s\nstderr: %s", out, errs)
	}
}
