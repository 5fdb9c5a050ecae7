package record

import (
	"bytes"
	"strings"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// TestWriteHlogHeader: the header every loadgate interval log starts with
// (version, loadgate comment, start and base time, legend) is one the strict
// reader skips and the library's reader takes its base time from.
func TestWriteHlogHeader(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := hdr.NewHistogramLogWriter(&buf)
	const base = 1_700_000_000_000
	if err := WriteHlogHeader(w, base, "latency in microseconds"); err != nil {
		t.Fatal(err)
	}
	h := hdr.New(1, 60_000_000, 3)
	h.RecordValue(870)
	h.SetTag("chat:ok")
	h.SetStartTimeMs(base + 2000)
	h.SetEndTimeMs(base + 3000)
	if err := w.OutputIntervalHistogram(h); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"#[Histogram log format version 1.3]", "#[loadgate: latency in microseconds]", "#[StartTime: 1700000000 ", "#[BaseTime: 1700000000 ", `"StartTimestamp","Interval_Length"`, "Tag=chat:ok,2.000000,1.000000,"} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %q:\n%s", want, text)
		}
	}
	var got []HlogInterval
	if err := ReadHlog(strings.NewReader(text), "x.hlog", func(iv HlogInterval) error { got = append(got, iv); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Tag != "chat:ok" || got[0].Start != 2 || got[0].Hist.TotalCount() != 1 {
		t.Errorf("read back %+v", got)
	}
	back, err := hdr.NewHistogramLogReader(strings.NewReader(text)).NextIntervalHistogram()
	if err != nil || back.StartTimeMs() != base+2000 || back.EndTimeMs() != base+3000 {
		t.Errorf("library reader: %v, start %d end %d", err, back.StartTimeMs(), back.EndTimeMs())
	}
}

// endlessComments is an interval log of comment lines that never ends.
type endlessComments struct{}

func (endlessComments) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "#\n"[i%2]
	}
	return len(p), nil
}

// TestHlogReaderStopsAtItsLimit: the reader takes no more than its limit
// of whatever it is given, even lines it would skip, and says so naming the
// file (NewHlogReader's limit is MaxHlogBytes).
func TestHlogReaderStopsAtItsLimit(t *testing.T) {
	t.Parallel()
	_, err := newHlogReader(endlessComments{}, "x.hlog", 1<<20).Next()
	if err == nil || !strings.Contains(err.Error(), "x.hlog") || !strings.Contains(err.Error(), "more than the most it may be (1 MiB)") {
		t.Errorf("an endless log: %v, want an error naming it and its limit", err)
	}
}
