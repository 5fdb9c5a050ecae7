package report

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// Chart ids of the stream section.
const (
	ChartTTFT         = "ttft"
	ChartITL          = "itl"
	ChartTPOT         = "tpot"
	ChartStreamDist   = "streamdist"
	ChartOutputTokens = "tokens"
)

// readStreamLog reads stream.hlog, when the run has one, into d.Stream by
// tag (record.StreamTag), its intervals on the timeline's clock as
// readHlog places latency.hlog's.
func (d *runData) readStreamLog() error {
	path := filepath.Join(d.Dir, record.StreamHlogFile)
	f, err := record.OpenHlog(path)
	switch {
	case errors.Is(err, record.ErrMissing):
		if d.Run.Overall.Stream != nil {
			d.Notes = append(d.Notes, record.StreamHlogFile+" is missing: no stream charts")
		}
		return nil
	case err != nil:
		return err
	}
	defer f.Close()
	offset := d.Run.WarmupS
	if d.Timeline != nil {
		for _, p := range d.Timeline.Points {
			if !p.Warmup {
				offset = p.T
				break
			}
		}
	}
	d.Stream = map[string]*series{}
	first, seen := 0.0, false
	err = record.ReadHlog(f, path, func(iv record.HlogInterval) error {
		if !seen {
			first, seen = iv.Start, true
		}
		s := d.Stream[iv.Tag]
		if s == nil {
			h := iv.Hist
			s = &series{Total: hdr.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))}
			d.Stream[iv.Tag] = s
		}
		sum := summarisePacked(iv.Hist)
		sum.T = offset + math.Round((iv.Start-first)*1000)/1000
		s.Intervals = append(s.Intervals, sum)
		if dropped := iv.Hist.MergeInto(s.Total); dropped > 0 {
			return fmt.Errorf("%s:%d is corrupt: %d values outside the range of the first interval of %q", path, iv.Line, dropped, iv.Tag)
		}
		return nil
	})
	if err != nil && d.Run.Status != record.StatusRunning {
		return err
	}
	return nil
}

// streamSection is the report's part on streamed requests.
type streamSection struct {
	Rows        []streamRow
	Definitions []definitionRow
	Counted     []string // how each endpoint's tokens were counted, in words
	SLO         string   // the slo in words; "" without one
	Charts      []chartBlock
}

// streamRow is one streamed endpoint (or the whole run, last).
type streamRow struct {
	Name, Requests, OK                string
	TTFT50, TTFT95, TTFT99            string
	ITL50, ITL99, TPOT50, TPOT95      string
	E2E95, Tokens50, TokensPerS, Good string
}

// definitionRow is one stream metric: loadgate's name and definition, and
// the names vLLM and AIPerf give it.
type definitionRow struct {
	Name, Definition, VLLM, AIPerf string
}

// streamDefinitions are the rows of the definitions table (docs/STREAMS.md).
var streamDefinitions = []definitionRow{
	{"ttft", "intended send time → the first event with non-empty content (queue-inclusive)", "TTFT (queue-inclusive since #54136)", "Time to First Token"},
	{"ttft_service", "actual send → the first content event", "TTFT before #54136", "—"},
	{"ttfb", "intended send time → the response headers", "—", "—"},
	{"itl", "each gap between two consecutive content events", "ITL", "Inter Chunk Latency"},
	{"tpot", "(last content − first content) / (output tokens − 1), requests of 2 tokens or more", "TPOT (from E2EL − TTFT)", "Inter Token Latency"},
	{"e2e", "intended send time → the end of the stream", "E2EL", "Request Latency"},
	{"output_tokens", "usage.completion_tokens of the stream, else its content events", "output_len", "Output Sequence Length"},
	{"tokens_per_s", "output tokens of every measured streamed request / measured seconds", "Output token throughput", "Output Token Throughput"},
	{"goodput", "share of the streamed requests that met every bound of the slo (a failed one never does)", "--goodput (a rate)", "Goodput (a rate)"},
}

// streamOf builds the stream section of a run; nil when nothing streamed.
func streamOf(d *runData, maxPoints int) *streamSection {
	run := d.Run
	if run.Overall.Stream == nil {
		return nil
	}
	s := &streamSection{Definitions: streamDefinitions}
	var names []string
	for name, st := range run.Endpoints {
		if st.Stream != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		st := run.Endpoints[name].Stream
		s.Rows = append(s.Rows, streamRowOf(name, st))
		s.Counted = append(s.Counted, countedWords(name, st))
	}
	s.Rows = append(s.Rows, streamRowOf("all streamed", run.Overall.Stream))
	if slo := run.Plan.SLO; slo != nil {
		s.SLO = sloWords(slo)
	}
	s.Charts = []chartBlock{
		streamTimeChart(d, ChartTTFT, "Time to first token over time", record.StreamTTFT, maxPoints),
		streamTimeChart(d, ChartITL, "Inter-token latency over time", record.StreamITL, maxPoints),
		streamTimeChart(d, ChartTPOT, "Time per output token over time", record.StreamTPOT, maxPoints),
		streamDistChart(d),
		tokensChart(d, maxPoints),
	}
	return s
}

func streamRowOf(name string, s *record.Stream) streamRow {
	at := func(l *record.Latency, f func(*record.Latency) float64) string {
		if l == nil {
			return "—"
		}
		return gate.FormatMicros(f(l))
	}
	p50 := func(l *record.Latency) float64 { return l.P50 }
	p95 := func(l *record.Latency) float64 { return l.P95 }
	p99 := func(l *record.Latency) float64 { return l.P99 }
	r := streamRow{Name: name, Requests: strconv.FormatInt(s.Requests, 10), OK: strconv.FormatInt(s.OK, 10),
		TTFT50: at(s.TTFTUS, p50), TTFT95: at(s.TTFTUS, p95), TTFT99: at(s.TTFTUS, p99),
		ITL50: at(s.ITLUS, p50), ITL99: at(s.ITLUS, p99), TPOT50: at(s.TPOTUS, p50), TPOT95: at(s.TPOTUS, p95),
		E2E95: at(s.E2EUS, p95), Tokens50: "—", TokensPerS: strconv.FormatFloat(math.Round(s.TokensPerS*10)/10, 'f', -1, 64), Good: "—"}
	if l := s.OutputTokensPerRequest; l != nil {
		r.Tokens50 = strconv.FormatFloat(l.P50, 'f', -1, 64)
	}
	if s.Goodput != nil {
		r.Good = gate.Format(*s.Goodput, "ratio") + fmt.Sprintf(" (%d/%d)", s.Good, s.Requests)
	}
	return r
}

// countedWords says how an endpoint's output tokens were counted.
func countedWords(name string, s *record.Stream) string {
	switch {
	case s.FromUsage > 0 && s.FromEvents > 0:
		return fmt.Sprintf("%s: from usage.completion_tokens for %d requests, as content events for %d (no usage in their stream)", name, s.FromUsage, s.FromEvents)
	case s.FromUsage > 0:
		return fmt.Sprintf("%s: from usage.completion_tokens (every stream carried it)", name)
	case s.FromEvents > 0:
		return fmt.Sprintf("%s: as content events (no stream carried usage: a chunk of several tokens counts one)", name)
	}
	return name + ": no request"
}

// sloWords says the slo's bounds.
func sloWords(slo *record.SLO) string {
	var parts []string
	for _, b := range []struct {
		name string
		us   float64
	}{{"TTFT", slo.TTFTUS}, {"TPOT", slo.TPOTUS}, {"longest gap (ITL)", slo.ITLUS}, {"e2e", slo.E2EUS}} {
		if b.us > 0 {
			parts = append(parts, b.name+" ≤ "+gate.FormatMicros(b.us))
		}
	}
	return joinAnd(parts)
}

func joinAnd(parts []string) string { return joinWords(parts, "and") }

// streamTimeChart draws a stream metric per second: the whole run's P50,
// P95 and P99, and each streamed endpoint's P95 (selectable).
func streamTimeChart(d *runData, id, title, metric string, maxPoints int) chartBlock {
	b := chartBlock{ID: id, Title: title}
	all := d.Stream[record.StreamTag("", metric)]
	if all == nil || all.Total == nil || all.Total.TotalCount() == 0 {
		b.Missing = "no " + metric + " recorded (" + record.StreamHlogFile + " absent, or no successful streamed request had one)"
		return b
	}
	spec := lineSpec{ID: id, Title: title, XName: "seconds", YName: "ms", Marks: stageMarks(d.Run), Areas: faultAreas(d.Run), End: measuredEnd(d.Run)}
	add := func(prefix string, s *series, only string, hidden bool) {
		ivs := downsampleIntervals(s.Intervals, maxPoints)
		for _, q := range []struct {
			name string
			f    func(interval) float64
		}{{"P50", func(i interval) float64 { return i.P50 }}, {"P95", func(i interval) float64 { return i.P95 }}, {"P99", func(i interval) float64 { return i.P99 }}} {
			if only != "" && q.name != only {
				continue
			}
			pts := make([]xy, 0, len(ivs))
			for _, iv := range ivs {
				if iv.Count > 0 {
					pts = append(pts, xy{iv.T, q.f(iv) / 1000})
				}
			}
			spec.Lines = append(spec.Lines, line{Name: prefix + q.name, Points: pts, Hidden: hidden})
		}
	}
	add("", all, "", false)
	var eps []string
	for tag := range d.Stream {
		if ep, m, ok := record.SplitStreamTag(tag); ok && ep != "" && m == metric {
			eps = append(eps, ep)
		}
	}
	sort.Strings(eps)
	if len(eps) > 1 {
		for _, ep := range eps {
			add(ep+" ", d.Stream[record.StreamTag(ep, metric)], "P95", true)
		}
	}
	b = spec.render()
	b.Note = "Successful streamed requests, per second"
	switch metric {
	case record.StreamTTFT:
		b.Note += ", from each request's intended send time (queue-inclusive)"
	case record.StreamITL:
		b.Note += ": every gap between two content events"
	case record.StreamTPOT:
		b.Note += ": (last content − first content) / (tokens − 1) per request"
	}
	b.Note += "."
	if len(eps) > 1 {
		b.Note += " The legend adds each endpoint's P95."
	}
	if k := bucketSize(len(all.Intervals), maxPoints); k > 1 {
		b.Note += fmt.Sprintf(" Downsampled for display: each point is the worst of %d seconds.", k)
	}
	return b
}

// streamDistChart draws the distributions of TTFT, ITL and TPOT by
// percentile, as the latency distribution.
func streamDistChart(d *runData) chartBlock {
	b := chartBlock{ID: ChartStreamDist, Title: "TTFT, ITL and TPOT by percentile"}
	spec := lineSpec{ID: ChartStreamDist, Title: b.Title, XName: "percentile", YName: "ms (log)", LogX: true, LogY: true, XLabels: xLabelsPercentile}
	for _, m := range []struct{ metric, name string }{{record.StreamTTFT, "TTFT"}, {record.StreamITL, "ITL"}, {record.StreamTPOT, "TPOT"}, {record.StreamE2E, "e2e"}} {
		s := d.Stream[record.StreamTag("", m.metric)]
		if s == nil || s.Total == nil || s.Total.TotalCount() == 0 {
			continue
		}
		spec.Lines = append(spec.Lines, line{Name: m.name, Points: percentilePoints(s.Total), Hidden: m.metric == record.StreamE2E})
	}
	if len(spec.Lines) == 0 {
		b.Missing = "no stream metric recorded (" + record.StreamHlogFile + " absent or empty)"
		return b
	}
	b = spec.render()
	b.Note = "From the full histograms of the measured window (successful streamed requests); the x axis is 1/(1−p), so each step right is one more nine; the y axis is logarithmic. e2e can be switched on in the legend."
	return b
}

// tokensChart draws the output tokens per second: of the streamed
// requests that ended in each second.
func tokensChart(d *runData, maxPoints int) chartBlock {
	b := chartBlock{ID: ChartOutputTokens, Title: "Output tokens per second"}
	if d.Timeline == nil || len(d.Timeline.Points) == 0 {
		b.Missing = "no timeline (" + record.TimelineFile + " absent or empty)"
		return b
	}
	secs := d.Timeline.IntervalS
	if secs <= 0 {
		secs = 1
	}
	pts := make([]xy, 0, len(d.Timeline.Points))
	for _, p := range d.Timeline.Points {
		pts = append(pts, xy{p.T, float64(p.OutputTokens) / secs})
	}
	spec := lineSpec{ID: ChartOutputTokens, Title: b.Title, XName: "seconds", YName: "tokens/s", Marks: stageMarks(d.Run), Areas: faultAreas(d.Run), End: measuredEnd(d.Run),
		Lines: []line{{Name: "output tokens/s", Points: downsampleMean(pts, maxPoints), Area: true}}}
	b = spec.render()
	b.Note = "The output tokens of the streamed requests that ended in each second (a failed stream's partial tokens included)."
	return b
}

// writeStreamSummary writes summary.md's table of the streamed requests,
// when there were any.
func writeStreamSummary(w io.Writer, run *record.Run) {
	if run.Overall.Stream == nil {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| streamed | requests | TTFT P50 | TTFT P95 | ITL P99 | TPOT P50 | e2e P95 | tokens/s | goodput |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	var names []string
	for name, st := range run.Endpoints {
		if st.Stream != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	row := func(name string, s *record.Stream) {
		r := streamRowOf(name, s)
		mdRow(w, r.Name, r.Requests, r.TTFT50, r.TTFT95, r.ITL99, r.TPOT50, r.E2E95, r.TokensPerS, r.Good)
	}
	for _, n := range names {
		row(n, run.Endpoints[n].Stream)
	}
	row("all streamed", run.Overall.Stream)
	fmt.Fprintf(w, "\nTTFT and e2e from each request's intended send time; output tokens counted from %s(`docs/STREAMS.md` has the definitions).\n", run.Overall.Stream.TokensCounted()+" ")
}
