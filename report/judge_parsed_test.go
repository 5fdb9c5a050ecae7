package report

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// The owner of a run hands Judge the scenario's gates parsed at load:
// Judge evaluates those values, not a second parse of their text, and
// refuses parsed gates that are not the ones the run is judged by.
func TestJudgeByTheGatesParsedOnce(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	writeFixture(t, dir, fixture{Seconds: 10, Seed: 1, Gates: []string{"p95 < 60m", "error_rate < 1%"}})
	read := func() (*record.Run, *record.Timeline) {
		run, err := record.ReadRun(dir)
		if err != nil {
			t.Fatal(err)
		}
		tl, err := record.ReadTimeline(dir)
		if err != nil {
			t.Fatal(err)
		}
		return run, tl
	}

	run, tl := read()
	out, err := Judge(dir, run, tl, Options{})
	if err != nil || out.Verdict != record.VerdictPass {
		t.Fatalf("judged by the text: %+v %+v, %v; want a pass", out.Verdict, out.Gates, err)
	}

	// The same expressions, parsed once; the first one's bound then moved
	// to 1µs in the typed value only. A Judge that parsed the text again
	// would pass.
	parsed := make([]gate.Gate, 0, 2)
	for _, e := range run.Plan.Gates {
		g, err := gate.Parse(e)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, g)
	}
	parsed[0].Threshold = 1
	run, tl = read()
	out, err = Judge(dir, run, tl, Options{Parsed: parsed})
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != record.VerdictFail || run.Gates[0].Verdict != record.VerdictFail || run.Gates[1].Verdict != record.VerdictPass {
		t.Fatalf("judged by the parsed gates: %s %+v; want p95 failing on the typed bound", out.Verdict, run.Gates)
	}
	if got := run.Judged.Gates; len(got) != 2 || got[0] != "p95 < 60m" {
		t.Errorf("judged.gates %q, want the expressions as written", got)
	}

	run, tl = read()
	_, err = Judge(dir, run, tl, Options{Parsed: parsed[:1]})
	if err == nil || !strings.Contains(err.Error(), "not the gates") {
		t.Fatalf("parsed gates other than the run's: %v, want refused", err)
	}
}
