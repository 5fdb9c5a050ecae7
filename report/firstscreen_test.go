package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// layoutProbe is injected first into a copy of a page, as probe is: once
// the page has loaded and drawn, it writes where each element of the ids
// it is given lies (top and bottom, px from the top of the window) and
// the window's size into the DOM for --dump-dom to print.
const layoutProbe = `<script>
window.addEventListener('load', function () { setTimeout(function () {
  var out = {height: window.innerHeight, width: window.innerWidth, boxes: {}};
  %s.forEach(function (id) {
    var el = document.getElementById(id);
    if (el) { var r = el.getBoundingClientRect(); out.boxes[id] = {top: r.top, bottom: r.bottom}; }
  });
  var pre = document.createElement('pre'); pre.id = 'layout'; pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
}, 300); });
</script>`

type box struct{ Top, Bottom float64 }

type layout struct {
	Height, Width float64
	Boxes         map[string]box
}

var layoutRE = regexp.MustCompile(`(?s)<pre id="layout">(.*?)</pre>`)

// layoutOf opens page in Chromium at w × h and returns where the elements
// of ids lie once it has drawn (on Chromium's virtual time), px from the top
// of the page.
func layoutOf(t *testing.T, chromium, page string, w, h int, ids ...string) layout {
	t.Helper()
	src, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		t.Fatal(err)
	}
	probed := filepath.Join(t.TempDir(), "probed.html")
	script := fmt.Sprintf(layoutProbe, list)
	if err := os.WriteFile(probed, bytes.Replace(src, []byte("<head>"), []byte("<head>\n"+script), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := chromiumRun(t, chromium, probed, "--dump-dom", fmt.Sprintf("--window-size=%d,%d", w, h))
	m := layoutRE.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the layout probe did not run; DOM starts:\n%.2000s", dom)
	}
	var l layout
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &l); err != nil {
		t.Fatalf("layout %q: %v", m[1], err)
	}
	// What lies where depends on the width only (headless Chromium's
	// viewport is shorter than the window it is given, unless it takes a
	// screenshot, which shows the first h px).
	if l.Width != float64(w) {
		t.Fatalf("the window is %g px wide, want %d", l.Width, w)
	}
	t.Logf("%s at %d px wide: %v", filepath.Base(filepath.Dir(page)), w, l.Boxes)
	return l
}

// TestFirstScreen: at 1400 × 900, a run page shows the verdict, the key
// numbers and the whole latency-over-time chart without scrolling, the
// tables after them; also for a run with faults, warnings and expected
// effects of its drills, whose warnings go under the chart. (The first
// chart used to start about 3,600 px down.)
func TestFirstScreen(t *testing.T) {
	t.Parallel()
	chromium, echarts := needBrowser(t)
	run, _, _ := screenshotPages(t, t.TempDir(), echarts)

	drills := filepath.Join(t.TempDir(), "drills")
	r := writeFixture(t, drills, fixture{Seconds: 30, Seed: 6, More: 3, ErrorEvery: 10,
		Gates: []string{"p95 < 3s", "error_rate < 1%", "more3.p95 < 100ms", "cache_hit_rate > 90%"}})
	start, end := 12.0, 13.5
	r.Faults = []record.Fault{{FaultPlan: record.FaultPlan{Name: "target_restart", Action: "target_restart", AtS: 12}, StartS: &start, EndS: &end, Injected: true}}
	r.Warnings = []string{"the generator could not keep the plan: a warning of the kind that says so at length, long enough to take two lines of the page at this width and then some more words",
		"3 of 40 scrapes of http://127.0.0.1:8080/metrics failed (last: connection refused)"}
	r.Expected = []string{"2 of 40 scrapes of http://127.0.0.1:8080/metrics failed while the drill target_restart had the target down (from 12s to 13.5s): expected"}
	if err := record.WriteJSON(filepath.Join(drills, record.RunFile), r); err != nil {
		t.Fatal(err)
	}
	if _, err := finish(drills, Options{EChartsJS: echarts}); err != nil {
		t.Fatal(err)
	}

	for name, dir := range map[string]string{"sample run": run, "run with drills and warnings": drills} {
		l := layoutOf(t, chromium, filepath.Join(dir, record.ReportFile), firstScreenW, firstScreenH,
			"verdict", "key-numbers", "key-p95", "key-errors", "key-rate", "chart-"+ChartLatency, ChartLatency, "warnings", "gates")
		for _, id := range []string{"verdict", "key-numbers", "key-p95", "key-errors", "key-rate", "chart-" + ChartLatency} {
			b, ok := l.Boxes[id]
			if !ok {
				t.Errorf("%s: no #%s on the page", name, id)
				continue
			}
			if b.Top < 0 || b.Bottom > firstScreenH {
				t.Errorf("%s: #%s lies from %g to %g px, not within the first %d px", name, id, b.Top, b.Bottom, firstScreenH)
			}
		}
		if c := l.Boxes[ChartLatency]; c.Bottom-c.Top < 300 {
			t.Errorf("%s: the latency chart is %g px tall", name, c.Bottom-c.Top)
		}
		if l.Boxes["gates"].Top < l.Boxes["chart-"+ChartLatency].Bottom {
			t.Errorf("%s: the gate table (%g px) comes before the end of the latency chart (%g px)", name, l.Boxes["gates"].Top, l.Boxes["chart-"+ChartLatency].Bottom)
		}
		if w, ok := l.Boxes["warnings"]; ok && w.Top < l.Boxes["chart-"+ChartLatency].Bottom {
			t.Errorf("%s: the warnings (%g px) come before the end of the latency chart", name, w.Top)
		}
	}
}
