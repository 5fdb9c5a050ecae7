package report

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/loadgate/loadgate/record"
)

// JUnit document types: one test suite per run, one test case per gate.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Name    string       `xml:"name,attr"`
	Tests   int          `xml:"tests,attr"`
	Fail    int          `xml:"failures,attr"`
	Errors  int          `xml:"errors,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Fail      int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Props     []junitProp `xml:"properties>property,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes junit.xml: one test case per gate; a failed gate is a
// failure whose message says value and threshold, an unknown gate an error.
func writeJUnit(w io.Writer, run *record.Run, out record.Outcome) error {
	s := junitSuite{
		Name:      "loadgate." + run.Scenario,
		Time:      fmt.Sprintf("%.3f", run.Ended.Sub(run.Started).Seconds()),
		Timestamp: run.Started.UTC().Format("2006-01-02T15:04:05"),
		Props: []junitProp{
			{"run", run.ID}, {"target", run.Target}, {"status", run.Status}, {"commit", run.Commit},
		},
	}
	if run.Merged != nil {
		s.Props = append(s.Props, junitProp{"shards", mergedWords(run.Merged)})
	}
	for _, g := range out.Gates {
		c := junitCase{Name: g.Expr, ClassName: "loadgate." + run.Scenario + ".gates", Time: "0", SystemOut: g.Message}
		switch g.Verdict {
		case record.VerdictFail:
			s.Fail++
			c.Failure = &junitProblem{Message: g.Message, Type: "GateFailed", Text: g.Message}
		case record.VerdictPass:
		default:
			s.Errors++
			c.Error = &junitProblem{Message: g.Message, Type: "GateUnknown", Text: g.Message}
		}
		s.Cases = append(s.Cases, c)
	}
	if run.Status != record.StatusCompleted && run.Status != "" {
		c := junitCase{Name: "run completed", ClassName: "loadgate." + run.Scenario, Time: "0"}
		msg := fmt.Sprintf("the run's status is %s", run.Status)
		if run.Abort != nil {
			msg += ": " + abortWords(run.Abort)
		}
		switch run.Status {
		case record.StatusAborted:
			s.Fail++
			c.Failure = &junitProblem{Message: msg, Type: "RunAborted", Text: msg}
		case record.StatusRunning:
			msg = incompleteNote(run)
			s.Errors++
			c.Error = &junitProblem{Message: msg, Type: "RunIncomplete", Text: msg}
			s.Props = append(s.Props, junitProp{"incomplete", "true"})
		default:
			s.Errors++
			c.Error = &junitProblem{Message: msg, Type: "RunFailed", Text: msg}
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	doc := junitSuites{Name: "loadgate", Tests: s.Tests, Fail: s.Fail, Errors: s.Errors, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing %s: %w", record.JUnitFile, err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
