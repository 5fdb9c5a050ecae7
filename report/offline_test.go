package report

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// TestBuiltBinaryDrawsOffline builds loadgate as `make build` does (the
// echarts tag, echarts.min.js next to echarts_embed.go), makes a report
// with it with no path to ECharts in its environment, and opens the page in
// Chromium with the network off: every chart draws.
func TestBuiltBinaryDrawsOffline(t *testing.T) {
	t.Parallel()
	chromium, _ := needBrowser(t)
	if _, err := os.Stat("echarts.min.js"); err != nil {
		msg := "report/echarts.min.js is absent: `make build` copies it there"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI is set, so this is a failure)")
		}
		t.Skip(msg)
	}
	bin := filepath.Join(t.TempDir(), "loadgate")
	if out, err := exec.Command("go", "build", "-tags", "echarts", "-o", bin, "../cmd/loadgate").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags echarts: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 20, Seed: 3, ErrorEvery: 25, ServerTiming: true})
	cmd := exec.Command(bin, "report", dir)
	cmd.Env = withoutEnv(os.Environ(), EnvEChartsJS)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		// Exit 1 is a failed gate: the report is written all the same.
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() > 1 {
			t.Fatalf("loadgate report: %v\n%s", err, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "ECharts") {
		t.Errorf("stderr speaks of ECharts though the binary embeds it: %s", stderr.String())
	}
	page := filepath.Join(dir, record.ReportFile)
	src := readFile(t, page)
	if strings.Contains(src, "<script src=") || strings.Contains(src, "needs network") {
		t.Error("the page of a binary built with ECharts loads a script from the network")
	}
	checkInBrowser(t, chromium, page, strings.Count(src, `<div class="item"`))
}

// TestBuiltWithoutEChartsSaysSo: a binary without ECharts (this test
// binary, built without the tag) and no file to inline says so on stderr
// and in the page.
func TestBuiltWithoutEChartsSaysSo(t *testing.T) {
	if embeddedECharts != "" {
		t.Skip("this test binary was built with the echarts tag")
	}
	t.Setenv(EnvEChartsJS, "")
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 5})
	var stderr bytes.Buffer
	if _, err := finish(dir, Options{Stderr: &stderr}); err != nil {
		t.Fatal(err)
	}
	const want = "built without ECharts"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q does not say %q", stderr.String(), want)
	}
	if !strings.Contains(readFile(t, filepath.Join(dir, record.ReportFile)), want) {
		t.Errorf("the page does not say %q", want)
	}
}

func withoutEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != name {
			out = append(out, kv)
		}
	}
	return out
}
