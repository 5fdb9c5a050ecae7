package report

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"html"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/loadgate/loadgate/record"
)

// hostile is a string a run, a target or a flag could put into any field
// the outputs carry: markup that runs script when taken as HTML or when it
// ends a <script> element early, characters that make Markdown tables,
// code spans, emphasis and links, a JavaScript line terminator and a line
// break. where names the field, so a marker that fires says which leaked.
func hostile(where string) string {
	return "</script><script>window.__pwned='" + where + "';document.title='pwned'</script>" +
		`<img src=x onerror="window.__pwned='` + where + `-img'"> a|b ` +
		"`tick` *em* [l](javascript:x) & \u2028\nsecond line"
}

// hostileName is hostile without spaces, commas and line breaks: what a
// latency log's endpoint tag can hold.
func hostileName(where string) string {
	return "</script><script>window.__pwned='" + where + "';document.title='pwned'</script>" +
		`<img/src="x"/onerror="window.__pwned='` + where + `-img'">a|b` + "`tick`*em*[l](javascript:x)&\u2028end"
}

// oneLine is how a single-line output (a Markdown cell, a terminal line)
// shows s: line breaks become spaces.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// writeHostileRun writes a run directory whose every string that comes
// from a run, a target or a flag is hostile: scenario, description, target,
// id, commit, host, profile, version, warnings, endpoint names (run.json
// and latency.hlog), error kinds, Server-Timing names (run.json and the
// timeline) and a gate expression.
func writeHostileRun(t *testing.T, dir string) *record.Run {
	t.Helper()
	writeFixture(t, dir, fixture{Seconds: 10, Seed: 2, ErrorEvery: 5, ServerTiming: true, DBQueryMs: 3,
		RSS:       func(int) float64 { return 64 << 20 },
		Endpoints: [2]string{hostileName("endpoint-a"), hostileName("endpoint-b")},
		Gates:     []string{"p95 < 3s", hostile("gate")}})
	run, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	run.Scenario, run.Description = hostile("scenario"), hostile("description")
	run.Target = "http://127.0.0.1:8080/" + hostile("target")
	run.ID, run.Commit, run.Host = hostile("id"), hostile("commit"), hostile("host")
	run.Profile, run.Version = hostile("profile"), hostile("version")
	run.Warnings = []string{hostile("warning")}
	run.Overall.Errors[hostile("error-kind")] = 1
	run.Server.ServerTiming = map[string]record.Timing{hostile("server-timing"): {MeanMS: 3, Count: 40}}
	// Series titles and chart titles come from a scenario file: the cache
	// hit rate (a headline series: the comparison's table, the summary's
	// facts) and the first chart.
	for i := range run.Plan.Series {
		if run.Plan.Series[i].Name == "cache_hit_rate" {
			run.Plan.Series[i].Title = hostile("series-title")
		}
	}
	run.Plan.Charts[0].Title = hostile("chart-title")
	run.Server.SeriesNotes = map[string]string{"db_p99": hostile("series-note")}
	delete(run.Server.Series, "db_p99")
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	tl, err := record.ReadTimeline(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tl.Points {
		p := &tl.Points[i]
		if p.Server == nil {
			p.Server = map[string]float64{}
		}
		p.Server[record.ServerTimingPrefix+hostile("server-timing")] = 3
		if p.ErrorKinds == nil {
			p.ErrorKinds = map[string]int64{}
		}
		p.ErrorKinds[hostile("timeline-error-kind")] = 1
	}
	if err := record.WriteJSON(filepath.Join(dir, record.TimelineFile), tl); err != nil {
		t.Fatal(err)
	}
	return run
}

// hostileCapacity is a capacity search whose strings are hostile.
func hostileCapacity() *record.Capacity {
	fail := record.Gate{Expr: hostile("step-gate"), Verdict: record.VerdictFail, Message: hostile("step-gate-message")}
	return &record.Capacity{Schema: 1, Scenario: hostile("capacity-scenario"), Target: hostile("capacity-target"),
		Profile: hostile("capacity-profile"), Model: "closed",
		Series: []record.Series{{Name: "hit", Title: hostile("capacity-series"), Unit: record.UnitRatio, Headline: true}},
		Gates:  []string{hostile("capacity-gate")}, Found: true, Capacity: 100, Knee: 200,
		Stopped: hostile("stopped"),
		Steps: []record.CapacityStep{
			{Level: 100, Dir: "javascript:window.__pwned='dir'//", P95US: 900_000, AchievedRate: 90, Verdict: record.VerdictPass, Series: map[string]float64{"hit": 0.8},
				Warnings: []string{hostile("step-warning")}},
			{Level: 200, Dir: hostile("step-dir"), P95US: 4_200_000, AchievedRate: 120, Verdict: record.VerdictFail,
				Gates: []record.Gate{fail}, Error: hostile("step-error")},
		}}
}

var (
	scriptRE = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script`)
	cspRE    = regexp.MustCompile(`(?i)<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)
)

// checkPageIsData checks that an HTML page runs only its own code: it
// carries a Content-Security-Policy that allows its own inline scripts by
// hash and nothing from the network (when ECharts is inlined; else only
// the ECharts file on the CDN, pinned by its integrity hash); every script
// it holds is one of those or JSON data that parses and holds no '<' or
// '>' (escaped as \u003c, \u003e); and no element the pages never write
// (<img>) came in with the data.
func checkPageIsData(t *testing.T, name, page string, inlined bool) {
	t.Helper()
	m := cspRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("%s: no Content-Security-Policy meta element", name)
	}
	if head, _, _ := strings.Cut(page, m[0]); strings.Contains(strings.ToLower(head), "<script") {
		t.Errorf("%s: a script comes before the Content-Security-Policy", name)
	}
	policy := map[string][]string{}
	for _, d := range strings.Split(html.UnescapeString(m[1]), ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			policy[f[0]] = f[1:]
		}
	}
	for _, d := range []string{"default-src", "base-uri", "form-action"} {
		if !slices.Equal(policy[d], []string{"'none'"}) {
			t.Errorf("%s: CSP %s is %q, want 'none'", name, d, policy[d])
		}
	}
	for d, sources := range policy {
		for _, s := range sources {
			ok := s == "'none'" ||
				d == "script-src" && strings.HasPrefix(s, "'sha256-") ||
				d == "script-src" && !inlined && s == CDNURL ||
				d == "style-src" && s == "'unsafe-inline'"
			if !ok {
				t.Errorf("%s: CSP %s allows %s", name, d, s)
			}
		}
	}
	if len(policy["script-src"]) == 0 {
		t.Errorf("%s: CSP has no script-src: the page's own scripts would be blocked", name)
	}
	// Outside script elements (an inlined ECharts holds "<img" of its own).
	if strings.Contains(strings.ToLower(scriptRE.ReplaceAllString(page, "")), "<img") {
		t.Errorf("%s: an <img> element reached the page", name)
	}
	own := 0
	for _, s := range scriptRE.FindAllStringSubmatch(page, -1) {
		attrs, body := html.UnescapeString(s[1]), s[2]
		switch {
		case strings.Contains(attrs, `type="application/json"`):
			if !json.Valid([]byte(body)) {
				t.Errorf("%s: a JSON script element does not parse (did data end it early?): %.300s", name, body)
			}
			if strings.ContainsAny(body, "<>") {
				t.Errorf("%s: a JSON script element holds a raw '<' or '>': %.300s", name, body)
			}
		case strings.Contains(attrs, "src="):
			if inlined || !strings.Contains(attrs, `src="`+CDNURL+`"`) || !strings.Contains(attrs, `integrity="`+EChartsIntegrity+`"`) {
				t.Errorf("%s: script %s: only the pinned ECharts file on the CDN may load, and only when it is not inlined", name, attrs)
			}
		default:
			sum := sha256.Sum256([]byte(body))
			if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !slices.Contains(policy["script-src"], h) {
				t.Errorf("%s: inline script not allowed by the CSP (%s): %.300s", name, h, body)
			}
			if strings.Contains(body, "__pwned") {
				t.Errorf("%s: data reached an executable script: %.300s", name, body)
			}
			own++
		}
	}
	if want := map[bool]int{true: 2, false: 1}[inlined]; own != want {
		t.Errorf("%s: %d inline scripts, want %d (ECharts when inlined, and the one that draws the charts)", name, own, want)
	}
}

// markdownHTML renders Markdown as GitHub does (GFM, raw HTML passed
// through), so a test sees what a job summary or a pull request shows.
func markdownHTML(t *testing.T, src string) string {
	t.Helper()
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	var b bytes.Buffer
	if err := md.Convert([]byte(src), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	tableRE = regexp.MustCompile(`(?s)<table>(.*?)</table>`)
	rowRE   = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellRE  = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
	tagRE   = regexp.MustCompile(`<[^>]*>`)
)

// mdTables returns the rendered tables' cells as text, table by row by cell.
func mdTables(rendered string) [][][]string {
	var out [][][]string
	for _, tm := range tableRE.FindAllStringSubmatch(rendered, -1) {
		var rows [][]string
		for _, rm := range rowRE.FindAllStringSubmatch(tm[1], -1) {
			var cells []string
			for _, cm := range cellRE.FindAllStringSubmatch(rm[1], -1) {
				cells = append(cells, html.UnescapeString(tagRE.ReplaceAllString(cm[1], "")))
			}
			rows = append(rows, cells)
		}
		out = append(out, rows)
	}
	return out
}

// column returns the cells of column i of a table's rows after the header.
func column(rows [][]string, i int) []string {
	var out []string
	for _, r := range rows[1:] {
		if i < len(r) {
			out = append(out, r[i])
		}
	}
	return out
}

// checkMarkdownIsData renders summary.md and checks that the data made no
// markup of its own: no HTML element, emphasis, code span or link from it,
// and its text is all there (line breaks as spaces).
func checkMarkdownIsData(t *testing.T, name, src string, texts ...string) string {
	t.Helper()
	rendered := markdownHTML(t, src)
	for _, bad := range []string{"<img", "<script", "</script", "<em>", `href="javascript:`, "<h1", "<code>tick"} {
		if strings.Contains(rendered, bad) {
			t.Errorf("%s: the data made markup (%s) in the rendered Markdown:\n%s", name, bad, rendered)
		}
	}
	text := html.UnescapeString(tagRE.ReplaceAllString(rendered, ""))
	for _, s := range texts {
		if !strings.Contains(text, oneLine(s)) {
			t.Errorf("%s: the rendered Markdown does not show %q as text:\n%s", name, oneLine(s), text)
		}
	}
	return rendered
}

// TestHostileRunIsData renders a run whose every string is hostile and
// checks report.html, summary.md and junit.xml keep them as data.
func TestHostileRunIsData(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	run := writeHostileRun(t, dir)
	for _, inline := range []bool{true, false} {
		o := Options{EChartsJS: fakeECharts(t), Stderr: &bytes.Buffer{}}
		if !inline {
			o.Assets = AssetsCDN
		}
		if _, err := finish(dir, o); err != nil {
			t.Fatal(err)
		}
		page := readFile(t, filepath.Join(dir, record.ReportFile))
		checkPageIsData(t, map[bool]string{true: "report.html (inlined)", false: "report.html (CDN)"}[inline], page, inline)
		for _, w := range []string{"chart-title", "series-title", "series-note"} {
			if !strings.Contains(page, template.HTMLEscapeString(hostile(w))) {
				t.Errorf("report.html does not show the %s as text", w)
			}
		}
	}

	md := readFile(t, filepath.Join(dir, record.SummaryFile))
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range run.Endpoints {
			if !yield(n) {
				return
			}
		}
	})
	rendered := checkMarkdownIsData(t, "summary.md", md, run.Scenario, run.ID, run.Target, run.Warnings[0], names[0], names[1], hostile("gate"), hostile("series-title"))
	tables := mdTables(rendered)
	if len(tables) != 2 {
		t.Fatalf("summary.md renders %d tables, want 2 (gates, endpoints):\n%s", len(tables), rendered)
	}
	if got, want := column(tables[0], 0), []string{"p95 < 3s", oneLine(hostile("gate"))}; !slices.Equal(got, want) {
		t.Errorf("gate table's first column %q, want %q", got, want)
	}
	if got, want := column(tables[1], 0), append(names, "all"); !slices.Equal(got, want) {
		t.Errorf("endpoint table's first column %q, want %q", got, want)
	}

	judged, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkJUnitHolds(t, readFile(t, filepath.Join(dir, record.JUnitFile)), judged)
}

// checkJUnitHolds parses junit.xml with a schema of its own and checks it
// holds the run's strings exactly.
func checkJUnitHolds(t *testing.T, data string, run *record.Run) {
	t.Helper()
	type problem struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	var doc struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Props []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
			Cases []struct {
				Name      string   `xml:"name,attr"`
				ClassName string   `xml:"classname,attr"`
				Failure   *problem `xml:"failure"`
				Error     *problem `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, data)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d suites, want 1", len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name != "loadgate."+run.Scenario {
		t.Errorf("suite name %q, want %q", s.Name, "loadgate."+run.Scenario)
	}
	props := map[string]string{}
	for _, p := range s.Props {
		props[p.Name] = p.Value
	}
	for k, want := range map[string]string{"run": run.ID, "target": run.Target, "commit": run.Commit} {
		if props[k] != want {
			t.Errorf("property %s = %q, want %q", k, props[k], want)
		}
	}
	// One case per recorded gate, named by its expression, an unknown
	// gate's error holding its message as written.
	if len(s.Cases) != len(run.Gates) {
		t.Fatalf("%d test cases for %d gates", len(s.Cases), len(run.Gates))
	}
	for i, g := range run.Gates {
		c := s.Cases[i]
		if c.Name != g.Expr {
			t.Errorf("case %d named %q, want %q", i, c.Name, g.Expr)
		}
		if g.Verdict == record.VerdictUnknown && (c.Error == nil || c.Error.Message != g.Message || c.Error.Text != g.Message) {
			t.Errorf("case %q: error %+v, want the message %q", g.Expr, c.Error, g.Message)
		}
	}
	if !slices.ContainsFunc(run.Gates, func(g record.Gate) bool { return g.Expr == hostile("gate") }) {
		t.Error("the hostile gate is not among the run's gates: the test does not test what it says")
	}
}

// TestHostileComparisonIsData compares two hostile runs under hostile
// labels (`loadgate report A B --labels …`).
func TestHostileComparisonIsData(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	writeHostileRun(t, a)
	writeHostileRun(t, b)
	labels := []string{hostile("label-a"), hostile("label-b")}
	out := filepath.Join(root, "cmp")
	if _, err := Compare([]string{a, b}, out, Options{Labels: labels, EChartsJS: fakeECharts(t), Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	checkPageIsData(t, "comparison report.html", readFile(t, filepath.Join(out, record.ReportFile)), true)
	rendered := checkMarkdownIsData(t, "comparison summary.md", readFile(t, filepath.Join(out, record.SummaryFile)), labels...)
	tables := mdTables(rendered)
	if len(tables) == 0 {
		t.Fatalf("comparison summary.md renders no table:\n%s", rendered)
	}
	for i, tb := range tables {
		header := tb[0]
		if !slices.Contains(header, oneLine(labels[0])) || !slices.Contains(header, oneLine(labels[1])) {
			t.Errorf("table %d's header %q does not hold both labels as text", i, header)
		}
		for _, r := range tb[1:] {
			if len(r) != len(header) {
				t.Errorf("table %d: a row of %d cells under a header of %d: %q", i, len(r), len(header), r)
			}
		}
	}
}

// TestHostileCapacityIsData renders a capacity search with hostile strings.
func TestHostileCapacityIsData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := RenderCapacity(dir, hostileCapacity(), hostile("answer"), Options{EChartsJS: fakeECharts(t), Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	page := readFile(t, filepath.Join(dir, record.ReportFile))
	checkPageIsData(t, "capacity report.html", page, true)
	if strings.Contains(page, `href="javascript:`) {
		t.Error("a step directory became a javascript: link")
	}
}

// TestHostileGateTableIsData checks the terminal gate table shows control
// characters from the data escaped, not as terminal commands or new lines.
func TestHostileGateTableIsData(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	writeHostileRun(t, dir)
	run, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	run.Warnings = append(run.Warnings, "bell\a and \x1b]0;title\a escape\r\n")
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := Gate(dir, Options{}, &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\a\r\u2028") {
		t.Errorf("the gate table passes control characters through:\n%q", out)
	}
	// Every hostile value stays on its line: none of them breaks one.
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "second line") {
			t.Errorf("a value's line break reached the terminal:\n%s", out)
			break
		}
	}
}

// TestMdTextShowsItself renders mdText of tricky strings as a list item, a
// table cell and a heading (GFM, as GitHub does) and checks each shows the
// string as written, line breaks as spaces, with no markup made of it.
func TestMdTextShowsItself(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"1. item", "1) item", "12. x", "1.17 s", "# heading", "> quote", "- item", "+ item", "=== ", "---", "***",
		"*em*", "_em_", "**bold**", "error_rate < 1%", "p95 < 3s", "cache_hit_rate > 60%",
		"`code`", "``a`b``", "[link](javascript:x)", "![img](x)", "<b>bold</b>", "<!-- c -->", "&amp; &lt;",
		"~~strike~~", "$x^2$", "a|b", `a\|b`, `back\slash`, `trailing\`, "line\nbreak", "cr\r\nlf",
		"</script><script>alert(1)</script>", hostile("md"),
	} {
		want := strings.TrimSpace(oneLine(strings.ReplaceAll(s, "\r\n", "\n")))
		for name, doc := range map[string]string{
			"list item": "- " + mdText(s) + "\n",
			"cell":      "| h | i |\n|---|---|\n| " + mdText(s) + " | x |\n",
			"heading":   "## " + mdText(s) + "\n",
		} {
			rendered := markdownHTML(t, doc)
			if name == "cell" {
				tb := mdTables(rendered)
				if len(tb) != 1 || len(tb[0]) != 2 || !slices.Equal(tb[0][1], []string{want, "x"}) {
					t.Errorf("%q as a %s renders %q, want the row [%q x]", s, name, tb, want)
				}
				continue
			}
			inner := strings.TrimSpace(regexp.MustCompile(`(?s)^<(ul|h2)>\s*(<li>)?(.*?)(</li>\s*</ul>|</h2>)\s*$`).ReplaceAllString(rendered, "$3"))
			if strings.Contains(inner, "<") || html.UnescapeString(inner) != want {
				t.Errorf("%q as a %s renders %q, want the text %q", s, name, rendered, want)
			}
		}
	}
}

// TestEChartsIntegrity: the integrity hash a page pins the CDN's ECharts to
// is that of echarts.min.js in the npm package echarts@EChartsVersion (what
// `make assets` fetches, and the file the CDN serves).
func TestEChartsIntegrity(t *testing.T) {
	t.Parallel()
	path := os.Getenv(EnvEChartsJS)
	if path == "" {
		path = defaultEChartsPath
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v (CI is set, so this is a failure)", err)
		}
		t.Skipf("%v; run make assets", err)
	}
	sum := sha512.Sum384(data)
	if got := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); got != EChartsIntegrity {
		t.Errorf("%s hashes to %s, EChartsIntegrity is %s", path, got, EChartsIntegrity)
	}
}
