package report

import (
	"testing"

	"github.com/loadgate/loadgate/record"
)

func TestServerTimingFact(t *testing.T) {
	t.Parallel()
	if got := serverTimingFact(nil); got != "" {
		t.Errorf("no Server-Timing: %q, want nothing", got)
	}
	st := map[string]record.Timing{"llm": {MeanMS: 1900, Count: 120}, "db": {MeanMS: 4.25, Count: 120}}
	want := "db 4.25 ms · llm 1.9 s (mean per response that sent it: db 120, llm 120)"
	if got := serverTimingFact(st); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	facts := serverFacts(&record.Server{ServerTiming: st})
	if len(facts) != 1 || facts[0].Name != "Server-Timing split" {
		t.Errorf("server facts %+v, want the Server-Timing split", facts)
	}
}
