package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// incompleteFixture writes a fixture run whose run.json is a checkpoint.
func incompleteFixture(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	run := writeFixture(t, dir, fixture{Seconds: 8, Gates: []string{"p95 < 10s"}})
	run.Status = record.StatusRunning
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestIncompleteRun: a run directory whose run.json is a checkpoint (status
// running: the run was killed) renders what was measured, marked
// incomplete everywhere, and cannot be judged.
func TestIncompleteRun(t *testing.T) {
	t.Parallel()
	dir := incompleteFixture(t)
	out, err := Render(dir, Options{Assets: AssetsCDN})
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode() != 2 || !out.Incomplete {
		t.Errorf("outcome %+v: want exit 2, incomplete", out)
	}
	if !strings.Contains(strings.Join(out.Reasons, "\n"), "did not finish") {
		t.Errorf("reasons %q do not say the run did not finish", out.Reasons)
	}
	for file, wants := range map[string][]string{
		record.ReportFile:  {`id="incomplete"`, "INCOMPLETE", "search", "chat"},
		record.SummaryFile: {"**Incomplete**", "did not finish"},
		record.JUnitFile:   {`type="RunIncomplete"`, `<property name="incomplete" value="true">`},
	} {
		text := readFile(t, filepath.Join(dir, file))
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", file, want)
			}
		}
	}
	var table strings.Builder
	if _, err := Gate(dir, Options{}, &table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "did not finish") || !strings.Contains(table.String(), "INCOMPLETE") {
		t.Errorf("gate table does not say the run is incomplete:\n%s", table.String())
	}
}

// TestKilledMidLine: loadgate killed while writing latency.hlog leaves its
// last line cut short. In a run that did not finish that line is left out
// (and said); in a finished run it is still an error naming the file.
func TestKilledMidLine(t *testing.T) {
	t.Parallel()
	dir := incompleteFixture(t)
	path := filepath.Join(dir, record.HlogFile)
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(whole), "\n"), "\n")
	last := lines[len(lines)-1]
	if err := os.WriteFile(path, append(whole, last[:len(last)/2]...), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := loadRun(dir)
	if err != nil {
		t.Fatalf("incomplete run with a cut last line: %v", err)
	}
	if n := len(d.Series[""].Intervals); n != 8 {
		t.Errorf("%d intervals read, want the 8 whole ones", n)
	}
	if !strings.Contains(strings.Join(d.Notes, "\n"), "cut short") {
		t.Errorf("notes %q do not say the log's last line was cut short", d.Notes)
	}

	run, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	run.Status = record.StatusCompleted
	if err := record.WriteJSON(filepath.Join(dir, record.RunFile), run); err != nil {
		t.Fatal(err)
	}
	if _, err := loadRun(dir); err == nil || !strings.Contains(err.Error(), record.HlogFile) {
		t.Errorf("finished run with a cut last line: %v, want an error naming %s", err, record.HlogFile)
	}
}
