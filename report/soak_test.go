package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// soakHour is a one-hour run directory shared by the soak test and
// benchmark: writing it takes a moment.
var soakHour = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "loadgate-soak-")
	if err != nil {
		return "", err
	}
	return dir, nil
})

func writeSoakHour(t testing.TB) string {
	t.Helper()
	root, err := soakHour()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "soak")
	if _, err := os.Stat(filepath.Join(dir, record.RunFile)); err != nil {
		writeFixture(t, dir, fixture{Seconds: soakSeconds(), Rate: 10, Seed: 8, ErrorEvery: 97,
			RSS:   func(s int) float64 { return 100<<20 + float64(s)*1000 },
			Gates: []string{"p95 < 3s", "error_rate < 2%", "p95_drift < 20%", "memory_growth < 50MB/h"}})
	}
	return dir
}

// soakSeconds is an hour, or ten minutes under the race detector
// (with proportionally fewer drawn points, so the same downsampling runs).
func soakSeconds() int {
	if raceEnabled {
		return 600
	}
	return 3600
}

func TestMain(m *testing.M) {
	code := m.Run()
	if root, err := soakHour(); err == nil {
		os.RemoveAll(root)
	}
	os.Exit(code)
}

// TestSoakReportStaysLight checks that an hour-long run downsamples what it
// draws: the page with ECharts inlined stays under 3 MB, and every chart
// still covers the whole hour.
func TestSoakReportStaysLight(t *testing.T) {
	t.Parallel()
	_, echarts := needECharts(t)
	dir := writeSoakHour(t)
	maxPoints, bucket, last := DefaultMaxPoints, 4, "[3598,"
	if raceEnabled {
		maxPoints, bucket, last = 150, 4, "[598,"
	}
	out, err := Render(dir, Options{EChartsJS: echarts, MaxPoints: maxPoints})
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != record.VerdictPass {
		t.Errorf("soak verdict %s: %v", out.Verdict, out.Reasons)
	}
	fi, err := os.Stat(filepath.Join(dir, record.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 3<<20 {
		t.Errorf("report.html of a one-hour soak is %d bytes, want under 3 MB", fi.Size())
	}
	page := readFile(t, filepath.Join(dir, record.ReportFile))
	if !strings.Contains(page, fmt.Sprintf("Downsampled for display: each point is the worst of %d seconds", bucket)) {
		t.Error("the latency chart does not say it is downsampled")
	}
	// The last drawn point of the latency chart is near the end of the hour.
	if !strings.Contains(page, last) {
		t.Error("the latency chart does not reach the end of the hour")
	}
}

// needECharts finds echarts.min.js like needBrowser, for tests that only
// need the script's size.
func needECharts(t *testing.T) (string, string) {
	t.Helper()
	p := os.Getenv(EnvEChartsJS)
	if p == "" {
		p = defaultEChartsPath
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("echarts.min.js not found at %s (CI is set)", p)
		}
		t.Skipf("echarts.min.js not found at %s: set %s or run make", p, EnvEChartsJS)
	}
	return "", p
}

// BenchmarkRenderSoakHour renders the report of a one-hour soak (the goal:
// under 2 s and 3 MB with ECharts inlined).
func BenchmarkRenderSoakHour(b *testing.B) {
	dir := writeSoakHour(b)
	echarts := os.Getenv(EnvEChartsJS)
	if echarts == "" {
		echarts = defaultEChartsPath
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(dir, Options{EChartsJS: echarts, Stderr: os.Stderr}); err != nil {
			b.Fatal(err)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, record.ReportFile))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size()), "report-bytes")
}
