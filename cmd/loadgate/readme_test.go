package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// readmeScenario returns the YAML block of README.md's "Pointing it at
// your own API" section.
func readmeScenario(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "## Pointing it at your own API")
	if !ok {
		t.Fatal("README.md has no section \"Pointing it at your own API\"")
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal("that section has no yaml block")
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// TestREADMEScenarioOnOwnAPI runs the README's scenario, as written, against
// an API that has the README's two endpoints and nothing else (no
// /api/health, a 404 at the root): it runs, and the preflight asked for no
// path the scenario does not name.
func TestREADMEScenarioOnOwnAPI(t *testing.T) {
	var cart, pay, health atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/cart":
			cart.Add(1)
			fmt.Fprint(w, `{"items": []}`)
		case "/api/pay":
			pay.Add(1)
			fmt.Fprint(w, `{"paid": true}`)
		case "/api/health":
			health.Add(1)
			http.NotFound(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "checkout.yaml")
	if err := os.WriteFile(path, []byte(readmeScenario(t)), 0o644); err != nil {
		t.Fatal(err)
	}

	// The plan says what the preflight checks.
	code, out, errs := runCLI(t, "run", path, "--target", srv.URL, "--dry-run")
	if code != 0 || !strings.Contains(out, "checked first: the base URL answers") {
		t.Fatalf("dry run: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	// Shortened, and gated on errors only: this checks that it runs, not
	// how fast the machine is.
	code, out, errs = runCLI(t, "run", path, "--target", srv.URL, "--duration", "2s",
		"--gate", "error_rate < 1%", "--out", filepath.Join(t.TempDir(), "r"))
	if code != 0 {
		t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if cart.Load() == 0 || pay.Load() == 0 {
		t.Errorf("requests: cart %d, pay %d; want both", cart.Load(), pay.Load())
	}
	if health.Load() != 0 {
		t.Errorf("/api/health asked %d times; the README's scenario names no health path", health.Load())
	}
}

// TestHealthPathRefusal: a health path that does not answer 2xx refuses
// the run (exit 2) with a message that says how to change or turn off the
// check.
func TestHealthPathRefusal(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	sc := writeScenario(t, `name: own
target:
  base_url: http://127.0.0.1:1
  health: /healthz
load:
  stages: [{duration: 1s, rate: 5/s}]
requests: [{name: a, path: /a}]
`)
	code, out, errs := runCLI(t, "run", sc, "--target", srv.URL)
	if code != 2 {
		t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", code, out, errs)
	}
	for _, want := range []string{srv.URL + "/healthz", "404", "target.health", `"health: none"`} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}
