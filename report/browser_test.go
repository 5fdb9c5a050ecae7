package report

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

// needBrowser returns the path of Chromium and of echarts.min.js, or skips
// the test when they are not installed — unless $CI is set, where their
// absence is a failure.
func needBrowser(t *testing.T) (chromium, echarts string) {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s (CI is set, so this is a failure)", what)
		}
		t.Skipf("%s; set CI to make this a failure", what)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		missing("chromium is not installed (apt-get install -y chromium)")
	}
	echarts = os.Getenv(EnvEChartsJS)
	if echarts == "" {
		echarts = defaultEChartsPath
	}
	if _, err := os.Stat(echarts); err != nil {
		missing("echarts.min.js not found (set " + EnvEChartsJS + " or run make assets)")
	}
	return chromium, echarts
}

// probe is injected first into a copy of the page, before its
// Content-Security-Policy (which then does not apply to it): it records
// script errors, console errors and policy violations, and after load
// opens every chart's tooltip (HTML built from the data) and writes those,
// the canvases of each chart, the page's title and the marker the hostile
// fixtures' scripts would set into the DOM for --dump-dom to print.
const probe = `<script>
window.__errors = [];
window.__violations = [];
window.addEventListener('error', function (e) { window.__errors.push('error: ' + e.message); });
document.addEventListener('securitypolicyviolation', function (e) { window.__violations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' ' + (e.sample || '')); });
(function () { var ce = console.error; console.error = function () { window.__errors.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); ce.apply(console, arguments); }; })();
window.addEventListener('load', function () { setTimeout(function () {
  document.querySelectorAll('.chart .item').forEach(function (el) {
    var c = typeof echarts !== 'undefined' && echarts.getInstanceByDom(el);
    if (c) { c.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 0}); }
  });
  // Each endpoint selector shows one more series in its chart's legend.
  var selectors = [];
  document.querySelectorAll('label.selector select').forEach(function (sel) {
    var el = sel.parentNode.nextElementSibling;
    var c = el && echarts.getInstanceByDom(el);
    var before = c ? [].concat(c.getOption().legend)[0].data.length : -1;
    sel.value = sel.options[1].value;
    sel.dispatchEvent(new Event('change'));
    selectors.push({chart: el ? el.id : '', before: before, after: c ? [].concat(c.getOption().legend)[0].data.length : -1});
  });
  setTimeout(function () {
    var out = {errors: window.__errors, violations: window.__violations, echarts: typeof echarts !== 'undefined', charts: {},
      title: document.title, pwned: String(window.__pwned || ''), selectors: selectors};
    document.querySelectorAll('.chart .item').forEach(function (el) { out.charts[el.id] = el.querySelectorAll('canvas').length; });
    var pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
  }, 300);
}, 300); });
</script>`

type probeResult struct {
	Errors     []string       `json:"errors"`
	Violations []string       `json:"violations"`
	ECharts    bool           `json:"echarts"`
	Charts     map[string]int `json:"charts"`
	Title      string         `json:"title"`
	Pwned      string         `json:"pwned"`
	Selectors  []struct {
		Chart         string `json:"chart"`
		Before, After int
	} `json:"selectors"`
}

// browsers bounds how many Chromium processes this package's tests run at
// once: each starts several processes of its own, and a dozen at once on a
// small, busy machine only make every one of them slower.
var browsers = make(chan struct{}, 2)

// chromiumRun runs headless Chromium with networking off on page, with
// extra flags, and returns its stdout.
//
// What it waits for is Chromium's virtual time (--virtual-time-budget): the
// page's timers, the probe's included, run on it, and Chromium dumps the
// DOM or takes the screenshot once the budget has passed on that clock,
// however long the machine takes to get there. No wall-clock limit of its
// own ends it early on a slow machine: only a failsafe (browserFailsafe)
// far above any honest run, for a Chromium that hangs.
func chromiumRun(t *testing.T, chromium, page string, extra ...string) []byte {
	t.Helper()
	browsers <- struct{}{}
	defer func() { <-browsers }()
	failsafe := browserFailsafe(t.Deadline())
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(),
		// No network: every host fails to resolve and the proxy is a dead port.
		"--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
		"--window-size=1280,2000", "--virtual-time-budget=10000",
	}
	args = append(args, extra...)
	args = append(args, "file://"+page)
	cmd := exec.CommandContext(ctx, chromium, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			t.Fatalf("chromium hung: killed by the failsafe after %s (its virtual time budget never ran out)\n%s", failsafe, stderr.String())
		}
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return stdout.Bytes()
}

// browserFailsafe is how long a Chromium run may take before it counts as
// hung: until shortly before the test binary's own deadline (go test
// -timeout), so that the failure names Chromium instead of a panic, or
// defaultBrowserFailsafe without a deadline. Never a limit a slow machine
// reaches on an honest run: the page's own waits are virtual time.
func browserFailsafe(deadline time.Time, ok bool) time.Duration {
	if !ok {
		return defaultBrowserFailsafe
	}
	left := time.Until(deadline)
	return max(left-left/20, time.Second)
}

// defaultBrowserFailsafe is browserFailsafe's without a test deadline.
const defaultBrowserFailsafe = 30 * time.Minute

var probeRE = regexp.MustCompile(`(?s)<pre id="probe">(.*?)</pre>`)

// checkInBrowser opens page (instrumented) and checks that ECharts loaded
// without network, every chart drew a canvas, nothing was logged as an
// error, the page's Content-Security-Policy blocked nothing of its own and
// no script of the data ran.
func checkInBrowser(t *testing.T, chromium, page string, wantCharts int) probeResult {
	t.Helper()
	src, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	probed := filepath.Join(t.TempDir(), "probed.html")
	if err := os.WriteFile(probed, bytes.Replace(src, []byte("<head>"), []byte("<head>\n"+probe), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := chromiumRun(t, chromium, probed, "--dump-dom")
	m := probeRE.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe did not run; DOM starts:\n%.2000s", dom)
	}
	var res probeResult
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &res); err != nil {
		t.Fatalf("probe output %q: %v", m[1], err)
	}
	if !res.ECharts {
		t.Error("ECharts is not defined: the inlined script did not load")
	}
	if len(res.Errors) > 0 {
		t.Errorf("console errors: %q", res.Errors)
	}
	if len(res.Charts) != wantCharts {
		t.Errorf("%d charts on the page (%v), want %d", len(res.Charts), res.Charts, wantCharts)
	}
	for id, n := range res.Charts {
		if n < 1 {
			t.Errorf("chart %q drew no canvas", id)
		}
	}
	if len(res.Violations) > 0 {
		t.Errorf("the Content-Security-Policy blocked: %q", res.Violations)
	}
	for _, sel := range res.Selectors {
		if sel.After != sel.Before+1 {
			t.Errorf("choosing an endpoint in the selector of chart %q took its legend from %d to %d series, want one more", sel.Chart, sel.Before, sel.After)
		}
	}
	if res.Pwned != "" || strings.HasPrefix(res.Title, "pwned") {
		t.Errorf("a script from the data ran: marker %q, title %q", res.Pwned, res.Title)
	}
	return res
}

func TestReportInBrowser(t *testing.T) {
	t.Parallel()
	chromium, echarts := needBrowser(t)
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 30, Seed: 1, ErrorEvery: 30,
		RSS: func(s int) float64 { return 80 << 20 }, ServerTiming: true, DBQueryMs: 4,
		Gates: []string{"p95 < 3s", "p99 < 1ms"}})
	out, err := finish(dir, Options{EChartsJS: echarts})
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != record.VerdictFail {
		t.Fatalf("verdict %s, want fail (for the red banner)", out.Verdict)
	}
	page := filepath.Join(dir, record.ReportFile)
	checkInBrowser(t, chromium, page, 10)

	// The verdict banner is visible: the screenshot's top holds a band of
	// the fail colour (#b3261e).
	shot := filepath.Join(t.TempDir(), "shot.png")
	chromiumRun(t, chromium, page, "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	red := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Min.Y+250 && y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r>>8, 0xb3) && near(g>>8, 0x26) && near(bl>>8, 0x1e) {
				red++
			}
		}
	}
	if red < 10000 {
		t.Errorf("the fail banner is not visible in the screenshot's top 250 px (%d pixels of its colour)", red)
	}
}

// TestManyEndpointsInBrowser: a run of many endpoints draws the slowest
// few and offers the rest in selectors that work (latency over time and
// the distribution); no console error.
func TestManyEndpointsInBrowser(t *testing.T) {
	t.Parallel()
	chromium, echarts := needBrowser(t)
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 10, Seed: 4, More: 8, Gates: []string{"more8.p95 < 1ms"}})
	if _, err := finish(dir, Options{EChartsJS: echarts}); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, record.ReportFile)
	res := checkInBrowser(t, chromium, page, strings.Count(readFile(t, page), `<div class="item"`))
	if len(res.Selectors) != 2 || res.Selectors[0].Chart != ChartLatency || res.Selectors[1].Chart != ChartDistribution {
		t.Errorf("selectors %+v, want two, above the latency chart and the distribution", res.Selectors)
	}
}

func near(v, want uint32) bool { return v+12 >= want && v <= want+12 }

func TestComparisonInBrowser(t *testing.T) {
	t.Parallel()
	chromium, echarts := needBrowser(t)
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	writeFixture(t, a, fixture{Seconds: 20, Seed: 1, ErrorEvery: 20}) // errors: the errors chart draws
	writeFixture(t, b, fixture{Seconds: 20, Seed: 1, Scale: 0.5})
	out := filepath.Join(root, "cmp")
	if _, err := Compare([]string{a, b}, out, Options{EChartsJS: echarts}); err != nil {
		t.Fatal(err)
	}
	checkInBrowser(t, chromium, filepath.Join(out, record.ReportFile), 6)
	if s := readFile(t, filepath.Join(out, record.ReportFile)); !strings.Contains(s, "P95") {
		t.Error("comparison page has no P95 words")
	}
}

// defaultEChartsPath is where the Makefile's assets target puts the script,
// seen from this package's directory.
var defaultEChartsPath = filepath.Join("..", ".cache", "echarts-"+EChartsVersion, "package", "dist", "echarts.min.js")

func TestCapacityInBrowser(t *testing.T) {
	t.Parallel()
	chromium, echarts := needBrowser(t)
	dir := t.TempDir()
	pass := record.Gate{Expr: "p95 < 3s", Verdict: record.VerdictPass}
	c := &record.Capacity{Schema: 1, Scenario: "users", Model: "closed", Profile: "optimized",
		Gates: []string{"p95 < 3s"}, Found: true, Capacity: 200, Knee: 400,
		Stopped: "stopped at 400 users: p95 < 3s fail (4.2 s)",
		Steps: []record.CapacityStep{
			{Level: 100, P95US: 900_000, AchievedRate: 90, Verdict: record.VerdictPass, Gates: []record.Gate{pass}},
			{Level: 200, P95US: 1_800_000, AchievedRate: 170, Verdict: record.VerdictPass, Gates: []record.Gate{pass}},
			{Level: 400, P95US: 4_200_000, AchievedRate: 180, ErrorRate: 0.02, Verdict: record.VerdictFail,
				Gates: []record.Gate{{Expr: "p95 < 3s", Verdict: record.VerdictFail}}},
		}}
	if err := RenderCapacity(dir, c, "capacity: 200 users at p95 < 3s", Options{EChartsJS: echarts}); err != nil {
		t.Fatal(err)
	}
	checkInBrowser(t, chromium, filepath.Join(dir, record.ReportFile), 1)
}

// TestHostilePagesInBrowser opens the run, comparison and capacity pages of
// hostile data in Chromium: the data's scripts and handlers never run
// (title unchanged, no marker), tooltips included, and the charts still
// draw under the page's Content-Security-Policy.
func TestHostilePagesInBrowser(t *testing.T) {
	t.Parallel()
	chromium, echarts := needBrowser(t)
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	writeHostileRun(t, a)
	writeHostileRun(t, b)
	o := Options{EChartsJS: echarts, Stderr: &bytes.Buffer{}}
	if _, err := finish(a, o); err != nil {
		t.Fatal(err)
	}
	res := checkInBrowser(t, chromium, filepath.Join(a, record.ReportFile), 10)
	if want := "loadgate · </script><script>window.__pwned='scenario'"; !strings.HasPrefix(res.Title, want) {
		t.Errorf("title %q, want the hostile scenario as text", res.Title)
	}

	cmp := filepath.Join(root, "cmp")
	o.Labels = []string{hostile("label-a"), hostile("label-b")}
	if _, err := Compare([]string{a, b}, cmp, o); err != nil {
		t.Fatal(err)
	}
	checkInBrowser(t, chromium, filepath.Join(cmp, record.ReportFile), 6)

	capDir := filepath.Join(root, "capacity")
	if err := os.MkdirAll(capDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := RenderCapacity(capDir, hostileCapacity(), hostile("answer"), Options{EChartsJS: echarts, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	checkInBrowser(t, chromium, filepath.Join(capDir, record.ReportFile), 1)
}

// TestBrowserFailsafe: a Chromium run is never ended by a wall-clock limit
// that a slow machine reaches: without a test deadline it may take half an
// hour, with one it runs until just before that deadline.
func TestBrowserFailsafe(t *testing.T) {
	t.Parallel()
	if got := browserFailsafe(time.Time{}, false); got != defaultBrowserFailsafe || got < 10*time.Minute {
		t.Errorf("without a deadline: %s, want %s (at least 10 minutes)", got, defaultBrowserFailsafe)
	}
	got := browserFailsafe(time.Now().Add(20*time.Minute), true)
	if got < 18*time.Minute || got >= 20*time.Minute {
		t.Errorf("20 minutes before the test deadline: %s, want just under 20 minutes", got)
	}
}
