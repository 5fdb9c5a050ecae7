package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMakeKeepsExitCodes: `make gate` exits as loadgate gate does, 0, 1 or
// 2, though make itself turns any failed recipe into 2; and so when other
// goals come with it (then a failure is 2, as make has it).
func TestMakeKeepsExitCodes(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	runDir := func(gate string, want int) string {
		dir := filepath.Join(t.TempDir(), "run")
		code, out, errs := runCLI(t, "run", writeScenario(t, fmt.Sprintf(okScenario, gate)), "--target", srv.URL, "--out", dir)
		if code != want {
			t.Fatalf("run with gate %s: exit %d, want %d\nstdout: %s\nstderr: %s", gate, code, want, out, errs)
		}
		return dir
	}
	pass, fail := runDir("error_rate < 1%", 0), runDir("p95 < 1us", 1)
	bin := filepath.Join(t.TempDir(), "loadgate")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// A make of our own, not the one that may be running these tests.
	env := []string{}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" && k != "MAKE_RESTARTS" {
			env = append(env, kv)
		}
	}
	cases := []struct {
		name  string
		goals []string
		run   string
		code  int
		out   string // in the output
	}{
		// Every gate passed.
		{"pass", []string{"gate"}, pass, 0, "PASS"},
		// A gate failed: 1, not make's 2.
		{"fail", []string{"gate"}, fail, 1, "FAIL"},
		// Not a run: 2.
		{"not a run", []string{"gate"}, t.TempDir(), 2, "loadgate exited 2"},
		// With another goal, make's own rule: a failed recipe is 2.
		{"fail with build", []string{"build", "gate"}, fail, 2, "FAIL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"-C", root, "--no-print-directory"}, c.goals...)
			cmd := exec.Command("make", append(args, "RUN="+c.run, "BIN="+bin)...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.code || !strings.Contains(string(out), c.out) {
				t.Errorf("make %s: exit %d, want %d with %q\n%s", strings.Join(c.goals, " "), code, c.code, c.out, out)
			}
			// Each step says what it does as it starts, with the time
			// since make started: the build, then loadgate.
			for _, what := range []string{"building ", "running "} {
				if !regexp.MustCompile(`(?m)^\[\+\d+m\d\ds\] ` + what).Match(out) {
					t.Errorf("make %s: no step line \"[+0m00s] %s…\":\n%s", strings.Join(c.goals, " "), what, out)
				}
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(root, ".cache", "make-exit-*")); len(left) != 0 {
		t.Errorf("exit files left behind: %v", left)
	}
}

// TestMakeAssetsWithoutNpm: without npm, `make assets` (which make test and
// make scenario run) says that reports will load ECharts from a CDN and
// succeeds, as README.md says; it does not fail the build.
func TestMakeAssetsWithoutNpm(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	// A PATH with the tools the recipe may use, npm left out.
	path := t.TempDir()
	for _, name := range []string{"sh", "make", "mkdir", "tar", "rm"} {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("%s is not installed", name)
		}
		if err := os.Symlink(p, filepath.Join(path, name)); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), mk, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(path, "make"), "--no-print-directory", "assets")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + path, "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "npm not found: reports will load ECharts from a CDN") {
		t.Errorf("make assets without npm: %v\n%s", err, out)
	}
}
