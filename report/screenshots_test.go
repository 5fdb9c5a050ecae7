package report

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

var screenshots = flag.String("screenshots", "", "write the sample pages and a screenshot of each page type into this directory (make report-screenshots)")

// writeBeforeAfter writes a baseline run that failed its gate, its P95 at
// the request timeout and most of its load never completed, and an
// optimized run that passes, under root; it returns their directories.
// Both have eight endpoints of long names (whose labels crowd a bar chart)
// and a drain: their plans end 3 s before their timelines do.
func writeBeforeAfter(t *testing.T, root string) (string, string) {
	t.Helper()
	a, b := filepath.Join(root, "baseline"), filepath.Join(root, "optimized")
	gates := []string{"p95 < 3s"}
	names := [2]string{"nutrition_search", "chat_with_coach"}
	base := writeFixture(t, a, fixture{Seconds: 20, Seed: 1, Gates: gates, Profile: "baseline", More: 6, ErrorEvery: 4, Endpoints: names})
	opt := writeFixture(t, b, fixture{Seconds: 20, Seed: 1, Gates: gates, Scale: 0.01, More: 6, Endpoints: names})
	opt.Plan.Stages[0].DurationS -= 3
	if err := record.WriteJSON(filepath.Join(b, record.RunFile), opt); err != nil {
		t.Fatal(err)
	}
	base.Plan.Stages[0].DurationS -= 3
	base.Plan.Timeout = 30 * time.Second
	l := *base.Overall.LatencyOKUS
	l.P95, l.P99, l.Max = 30e6, 30e6, 30e6
	base.Overall.LatencyOKUS = &l
	base.Generator = &record.Generator{Planned: 1000, Sent: 1000, Completed: 260}
	base.Overall.Rate = record.Rate{Target: 50, Sent: 50, Achieved: 13}
	if err := record.WriteJSON(filepath.Join(a, record.RunFile), base); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// screenshotPages renders the sample pages of each type under out: a run
// page, a comparison of a baseline and an optimized run, a capacity search;
// it returns their directories.
func screenshotPages(t *testing.T, out, echarts string) (run, cmp, capDir string) {
	t.Helper()
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	o := Options{EChartsJS: echarts, Labels: []string{"baseline", "optimized"}}
	run = filepath.Join(out, "run")
	if err := os.RemoveAll(run); err != nil {
		t.Fatal(err)
	}
	// Three stages: the second starts when the warm-up ends (one label for
	// both), the third a second later (its label a row up); they end 3 s
	// before the timeline does (a drain).
	stages := []record.Stage{{StartS: 0, DurationS: 2, From: 10, To: 50}, {StartS: 2, DurationS: 1, From: 50, To: 50}, {StartS: 3, DurationS: 26, From: 50, To: 50}}
	r := writeFixture(t, run, fixture{Seconds: 30, Seed: 5, More: 5, ErrorEvery: 30, ServerTiming: true, DBQueryMs: 4, Stages: stages,
		RSS:   func(s int) float64 { return float64(80+s) * (1 << 20) },
		Gates: []string{"p95 < 3s", "more5.p95 < 150ms", "error_rate < 1%"}})
	// Bytes and a Server-Timing summary.
	r.Overall.BytesOut, r.Overall.BytesIn = 2<<20, 48<<20
	r.Server.ServerTiming = map[string]record.Timing{"db": {MeanMS: 4.5, Count: 1480}, "cache": {MeanMS: 0.8, Count: 1480}, "llm": {MeanMS: 61, Count: 580}}
	if err := record.WriteJSON(filepath.Join(run, record.RunFile), r); err != nil {
		t.Fatal(err)
	}
	if _, err := finish(run, Options{EChartsJS: echarts}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"baseline", "optimized", "comparison", "capacity"} {
		if err := os.RemoveAll(filepath.Join(out, d)); err != nil {
			t.Fatal(err)
		}
	}
	a, b := writeBeforeAfter(t, out)
	for _, d := range []string{a, b} {
		if _, err := finish(d, Options{EChartsJS: echarts}); err != nil {
			t.Fatal(err)
		}
	}
	cmp = filepath.Join(out, "comparison")
	if _, err := Compare([]string{a, b}, cmp, o); err != nil {
		t.Fatal(err)
	}
	capDir = filepath.Join(out, "capacity")
	if err := os.MkdirAll(capDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := RenderCapacity(capDir, sampleCapacity(), "capacity: 200 users at p95 < 3s", Options{EChartsJS: echarts}); err != nil {
		t.Fatal(err)
	}
	return run, cmp, capDir
}

// The first screen a stakeholder sees: a laptop's browser window.
const firstScreenW, firstScreenH = 1400, 900

// TestReportScreenshots renders a run page, a comparison and a capacity
// search from fixtures, opens each in headless Chromium with the network
// off and takes a screenshot of its first screen (1400 × 900: run.png,
// comparison.png, capacity.png) and of the page further down (run-full.png,
// comparison-full.png): pictures of each page type to review. With
// -screenshots DIR (make report-screenshots) the pages and the pictures
// stay in DIR.
func TestReportScreenshots(t *testing.T) {
	t.Parallel()
	chromium, echarts := needBrowser(t)
	out := *screenshots
	if out == "" {
		out = t.TempDir()
	}
	run, cmp, capDir := screenshotPages(t, out, echarts)
	for _, shot := range []struct {
		name, dir string
		h         int
	}{
		{"run", run, firstScreenH}, {"comparison", cmp, firstScreenH}, {"capacity", capDir, firstScreenH},
		{"run-full", run, 3600}, {"comparison-full", cmp, 3600},
	} {
		png := filepath.Join(out, shot.name+".png")
		page := filepath.Join(shot.dir, record.ReportFile)
		// Headless Chromium's viewport is shorter than the window it is
		// given (757 px of 900 here), and its screenshot paints what lies
		// below the viewport only in part (a card's background missing
		// under its chart, a picture of no real window): the window is
		// made taller by the difference and the picture cut to shot.h.
		short := shot.h - int(layoutOf(t, chromium, page, firstScreenW, shot.h, "verdict").Height)
		// The last --window-size given wins.
		chromiumRun(t, chromium, page, "--screenshot="+png, "--hide-scrollbars", fmt.Sprintf("--window-size=%d,%d", firstScreenW, shot.h+max(short, 0)))
		cropPNG(t, png, firstScreenW, shot.h)
		img := decodePNG(t, png)
		if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != firstScreenW || h != shot.h {
			t.Errorf("%s: %d × %d px, want %d × %d", png, w, h, firstScreenW, shot.h)
		}
		if n := colours(img); n < 50 {
			t.Errorf("%s has %d colours: a blank page, or no chart drawn", png, n)
		}
	}
	if *screenshots != "" {
		t.Logf("screenshots: %s (first screens %d × %d: run.png, comparison.png, capacity.png; further down: run-full.png, comparison-full.png)", out, firstScreenW, firstScreenH)
	}
}

// cropPNG cuts the picture at path to its top-left w × h px, in place.
func cropPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := decodePNG(t, path)
	r := image.Rect(0, 0, w, h).Intersect(img.Bounds())
	cut := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(cut, cut.Bounds(), img, r.Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, cut); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// colours counts the distinct colours of img, up to 1000.
func colours(img image.Image) int {
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if len(seen) >= 1000 {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// sampleCapacity is a capacity search of the closed model that found
// 200 users (its knee at 400).
func sampleCapacity() *record.Capacity {
	pass := record.Gate{Expr: "p95 < 3s", Verdict: record.VerdictPass}
	step := func(level, p95, p99, rate, errs float64, verdict string) record.CapacityStep {
		g := pass
		g.Verdict = verdict
		return record.CapacityStep{Level: level, P95US: p95, P99US: p99, AchievedRate: rate, ErrorRate: errs, Verdict: verdict, Gates: []record.Gate{g}}
	}
	series, _ := record.OldSeries()
	c := &record.Capacity{Schema: 1, Scenario: "users", Target: "http://127.0.0.1:8080", Model: "closed", Profile: "optimized",
		Started: fixtureStart, Ended: fixtureStart.Add(3 * time.Minute), Series: series,
		Gates: []string{"p95 < 3s"}, Found: true, Capacity: 200, Knee: 400,
		Search:  record.CapacitySearch{Start: 100, Factor: 2, Max: 800, HoldS: 30, RampS: 5, ExcludeS: 5},
		Stopped: "stopped at 400 users: p95 < 3s fail (4.2 s)",
		Steps: []record.CapacityStep{
			step(100, 900_000, 1_300_000, 90, 0, record.VerdictPass),
			step(200, 1_800_000, 2_400_000, 170, 0, record.VerdictPass),
			step(400, 4_200_000, 6_100_000, 180, 0.02, record.VerdictFail),
		}}
	// The target's headline series at each level; the last step's DB
	// query P95 was not measured.
	c.Steps[0].Series = map[string]float64{"cache_hit_rate": 0.9, "db_p95": 0.004}
	c.Steps[1].Series = map[string]float64{"cache_hit_rate": 0.7, "db_p95": 0.009}
	c.Steps[2].Series = map[string]float64{"cache_hit_rate": 0.4}
	return c
}
