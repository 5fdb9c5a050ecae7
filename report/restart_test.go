package report

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// TestRestartIsARunFact: a target restart recorded in run.json is among the
// run facts of report.html and summary.md, with when and what showed it.
func TestRestartIsARunFact(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	run := writeFixture(t, dir, fixture{Seconds: 5, Gates: []string{"cache_hit_rate > 60%"}})
	run.Server.Restarts = []record.Restart{{AfterS: 2, BeforeS: 3, Sign: "loadgate_cache_requests_total"}}
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	if _, err := Render(dir, Options{Assets: AssetsCDN}); err != nil {
		t.Fatal(err)
	}
	want := "1, between 2s and 3s (loadgate_cache_requests_total went backwards)"
	html := readFile(t, filepath.Join(dir, record.ReportFile))
	if !strings.Contains(html, "<dt>target restarts</dt><dd>"+want) {
		t.Errorf("report.html run facts lack the restart %q", want)
	}
	md := readFile(t, filepath.Join(dir, record.SummaryFile))
	if !strings.Contains(md, mdText("target restarts "+want)) {
		t.Errorf("summary.md lacks the restart %q:\n%s", want, md)
	}
}
