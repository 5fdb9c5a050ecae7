package runner

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// sigFigs is the precision of every histogram: 3 significant digits.
const sigFigs = 3

// denseBudgetBytes bounds the memory of the endpoints' histograms that turn
// dense (see hist): 64 MiB, some 400 histograms of a plan of a few minutes,
// so the 60 busiest endpoints at least record at dense speed.
const denseBudgetBytes = 64 << 20

// denseSize is the memory of a dense histogram of h's geometry.
func denseSize(h *hdr.Histogram) int { return max(1, h.ByteSize()) }

// lateThreshold is how late a request may leave against its schedule before
// it counts as sent late (generator or worker cap behind the schedule).
const lateThreshold = 10 * time.Millisecond

// counters are the countable outcomes of a set of requests.
type counters struct {
	requests, successes int64
	bytesIn, bytesOut   int64
	// codes counts by status code, made on the first response (nil
	// before): nearly 5 KB that an endpoint never answered does without.
	codes *[maxStatus]int64
	kinds [numKinds]int64
	// tokens are the output tokens of the streamed requests.
	tokens int64
}

func (c *counters) add(res *result) {
	c.requests++
	if res.kind == kindOK {
		c.successes++
	}
	c.kinds[res.kind]++
	if res.code != 0 {
		code := int(res.code)
		if code >= maxStatus {
			code = maxStatus - 1
		}
		if c.codes == nil {
			c.codes = new([maxStatus]int64)
		}
		c.codes[code]++
	}
	c.bytesIn += res.bytesIn
	c.bytesOut += res.bytesOut
	if res.stream != nil {
		c.tokens += res.stream.tokens
	}
}

// reset zeroes c, keeping its array of codes for the next interval.
func (c *counters) reset() {
	codes := c.codes
	if codes != nil {
		clear(codes[:])
	}
	*c = counters{codes: codes}
}

// bytesIn is the size of res's body.
func bytesIn(res *vegeta.Result) int64 {
	in := int64(res.BytesIn)
	if in == 0 {
		// Bodies are not kept (MaxBody 0), so vegeta counts nothing in:
		// take the announced length.
		if v := res.Headers["Content-Length"]; len(v) == 1 {
			if n, err := strconv.ParseInt(v[0], 10, 64); err == nil {
				in = n
			}
		}
	}
	return in
}

// outcomeOf indexes a series' histograms by outcome: the successful requests
// and the failed ones. All requests are their sum, added up off the hot
// path.
type outcomeOf int

const (
	outOK outcomeOf = iota
	outFailed
	numOutcomes
)

// population is the run.json and log name of an outcome.
func (o outcomeOf) population() record.Population {
	if o == outOK {
		return record.OK
	}
	return record.Failed
}

// histograms are the latencies of one outcome of one series.
type histograms struct {
	// latency (corrected) and service (uncorrected) cover the measured window.
	latency, service hist
	// interval holds this second's corrected latencies for latency.hlog.
	interval hist
}

// series records one endpoint (or the whole run).
type series struct {
	name   string
	expect *expectation
	// newHist makes the histograms of an outcome: dense for the whole
	// run, sparse for an endpoint (see hist).
	newHist func() hist
	// scratch and sparseScratch are where the outcomes are added up to be
	// read (the recorder's, shared by its series).
	scratch       *hdr.Histogram
	sparseScratch *hdr.PackedHistogram
	// by outcome, nil until the outcome's first measured result: an
	// endpoint declared and never used costs no histogram. Recording a
	// result touches one outcome's histograms only, so the split costs the
	// hot path nothing.
	out   [numOutcomes]*histograms
	total counters // measured window
	// stream holds the stream metrics, made on the first streamed result;
	// slo is the recorder's.
	stream *streamSeries
	slo    *slo
}

func newSeries(name string, expect *expectation, newHist func() hist, r *recorder) *series {
	return &series{name: name, expect: expect, newHist: newHist, scratch: r.scratch, sparseScratch: r.sparseScratch, slo: &r.slo}
}

// outcome returns o's histograms, made on its first result: an allocation
// of the per-result path, once per series and outcome.
func (s *series) outcome(o outcomeOf) *histograms {
	h := s.out[o]
	if h == nil {
		h = &histograms{latency: s.newHist(), service: s.newHist(), interval: s.newHist()}
		s.out[o] = h
	}
	return h
}

// sum is the histogram of all requests, pick choosing which of an
// outcome's: the one outcome's own when only one has results, else both
// added up in the series' scratch; nil when neither has results.
func (s *series) sum(pick func(*histograms) *hist) readable {
	ok, failed := s.out[outOK], s.out[outFailed]
	switch {
	case ok == nil && failed == nil:
		return nil
	case failed == nil:
		return pick(ok).get()
	case ok == nil:
		return pick(failed).get()
	}
	a, b := pick(ok), pick(failed)
	if a.sparse != nil && b.sparse != nil {
		s.sparseScratch.Reset()
		s.sparseScratch.Merge(a.sparse)
		s.sparseScratch.Merge(b.sparse)
		return s.sparseScratch
	}
	s.scratch.Reset()
	a.addTo(s.scratch)
	b.addTo(s.scratch)
	return s.scratch
}

func pickLatency(h *histograms) *hist  { return &h.latency }
func pickService(h *histograms) *hist  { return &h.service }
func pickInterval(h *histograms) *hist { return &h.interval }

// recorder turns vegeta results into histograms, counters, timeline points
// and latency.hlog intervals. It is used by one goroutine only (the one that
// reads the results channel), so it takes no lock; its per-result path
// allocates nothing once an endpoint is warm (its histograms, codes and live
// row made on its first results, its sparse histograms grown to the
// latencies it sees or turned dense).
type recorder struct {
	endpoints []*series
	overall   *series
	highest   int64
	// scratch holds the sum of a series' outcomes while it is read, and
	// empty holds nothing (an interval of the whole run without results).
	scratch, empty *hdr.Histogram
	// sparseScratch is scratch for the outcomes of an endpoint whose
	// histograms are both sparse: adding them up costs what they hold, not
	// a dense array's clearing and scanning.
	sparseScratch *hdr.PackedHistogram
	// dense is how many endpoint histograms may still turn dense.
	dense *denseBudget

	// began returns when the attack began (set by the pacer before the first
	// request); due, when set (open model), gives request k's intended send
	// time since then.
	began func() *time.Time
	due   func(k uint64) time.Duration
	// finished, when set (closed model), frees the result's user.
	finished func(now time.Time)

	warmup time.Duration
	// live, when set, gets every result for the live Prometheus metrics.
	live *live
	// abort, when set, gets every measured result for the abort gates.
	abort *abortWatch

	// The current interval, warm-up included, for the timeline.
	interval      counters
	timing        serverTiming // the interval's Server-Timing split
	intervalStart time.Duration
	origin        time.Time // interval boundaries are origin + k seconds
	completed     int64     // results seen, whole run

	// stopped is the targeter's error that stopped the attack (unique data
	// exhausted), if any.
	stopped string
	// aborting is set when the run is being aborted: requests cancelled by
	// the abort measured nothing and are not recorded.
	aborting bool

	// Sent-late accounting (open model, measured window): late counts
	// requests more than lateThreshold late, lag holds every measured
	// request's send lag (µs).
	late    int64
	lateMax time.Duration
	lag     *hdr.Histogram

	log    *hdr.HistogramLogWriter
	logBuf *bufio.Writer
	logErr error
	// streamLog, when the scenario streams, writes stream.hlog; slo is
	// what goodput counts against.
	streamLog *streamLog
	slo       slo
	points    []record.Point
	lastP95   float64 // corrected overall P95 of the measured window so far, µs
}

// recorderConfig describes what a recorder records.
type recorderConfig struct {
	names   []string
	expects [][]int
	highest time.Duration
	warmup  time.Duration
	origin  time.Time
	hlog    io.Writer // nil: no interval log
	// streamHlog, when set, gets stream.hlog; slo is the scenario's.
	streamHlog io.Writer
	slo        scenarios.SLO
}

func newRecorder(c recorderConfig) (*recorder, error) {
	highest := c.highest.Microseconds()
	if highest < 1000 {
		highest = 1000
	}
	r := &recorder{
		highest:       highest,
		scratch:       hdr.New(1, highest, sigFigs),
		sparseScratch: hdr.NewPacked(1, highest, sigFigs),
		empty:         hdr.New(1, highest, sigFigs),
		lag:           hdr.New(1, highest, sigFigs),
		warmup:        c.warmup,
		origin:        c.origin,
		slo:           newSLO(c.slo),
	}
	r.overall = newSeries("", nil, func() hist { return newDenseHist(highest, sigFigs) }, r)
	r.dense = &denseBudget{left: denseBudgetBytes / denseSize(r.scratch), highest: highest, sigFigs: sigFigs}
	endpointHist := func() hist { return newSparseHist(highest, sigFigs, r.dense) }
	for i, name := range c.names {
		var codes []int
		if i < len(c.expects) {
			codes = c.expects[i]
		}
		r.endpoints = append(r.endpoints, newSeries(name, newExpectation(codes), endpointHist, r))
	}
	if c.hlog != nil {
		r.logBuf = bufio.NewWriterSize(c.hlog, 64*1024)
		r.log = hdr.NewHistogramLogWriter(r.logBuf)
		if err := record.WriteHlogHeader(r.log, c.origin.UnixMilli(), "latency in microseconds from the intended send time (corrected for coordinated omission); untagged = all endpoints, Tag=<endpoint> per endpoint, all requests; Tag=<endpoint>:ok and :failed the successful and failed ones (empty endpoint = all endpoints); warm-up excluded"); err != nil {
			return nil, fmt.Errorf("writing latency log: %w", err)
		}
	}
	if c.streamHlog != nil {
		var err error
		if r.streamLog, err = newStreamLog(c.streamHlog, c.origin); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *recorder) clamp(d time.Duration) int64 {
	us := d.Microseconds()
	if us < 1 {
		return 1
	}
	if us > r.highest {
		return r.highest
	}
	return us
}

// record takes one vegeta result. This is the hot path.
func (r *recorder) record(res *vegeta.Result) {
	if res.URL == "" && res.Code == 0 && res.Error != "" {
		// The targeter failed, so nothing was sent: vegeta stops the attack.
		r.stopped = res.Error
		if r.finished != nil {
			r.finished(res.End())
		}
		return
	}
	if r.aborting && res.Code == 0 && res.Error != "" {
		// The abort closed the connection under this request: it measured
		// nothing about the target.
		r.completed++
		return
	}
	if r.finished != nil {
		r.finished(res.End())
	}
	ep, epIdx := r.overall, endpointOf(res.URL)
	if epIdx >= 0 && epIdx < len(r.endpoints) {
		ep = r.endpoints[epIdx]
	}
	k := kindOther
	if ep.expect != nil {
		k = classify(res, ep.expect)
	}
	var began time.Time
	if b := r.began(); b != nil {
		began = *b
	}
	s := fromVegeta(res, began, k)
	if r.due != nil {
		s.intended = r.due(res.Seq)
	}
	r.take(epIdx, ep, &s)
}

// take records one result of endpoint epIdx (series ep; the whole run's
// when it is none of the mix): the interval's counters, the live metrics,
// and, when it was due after the warm-up, the histograms and the abort
// window. This is the hot path of both engines.
func (r *recorder) take(epIdx int, ep *series, res *result) {
	r.completed++
	r.interval.add(res)
	r.timing.observe(res.header)
	service, corrected := res.service(), res.corrected()
	if r.live != nil {
		r.live.observe(epIdx, int(res.code), res.kind, corrected)
	}
	if res.intended < r.warmup {
		return
	}
	r.observeLag(res.sent - res.intended)
	c, s := r.clamp(corrected), r.clamp(service)
	ep.observe(res, c, s)
	if ep != r.overall {
		r.overall.observe(res, c, s)
	}
	if res.stream != nil {
		r.observeStream(ep, res)
	}
	if r.abort != nil {
		r.abort.observe(epIdx, res, c, s)
	}
}

// observeLag takes how late a measured request left against its schedule.
func (r *recorder) observeLag(lag time.Duration) {
	lagUS := int64(0)
	if lag > 0 {
		lagUS = r.clamp(lag)
	}
	_ = r.lag.RecordValue(lagUS)
	if lag > lateThreshold {
		r.late++
		r.lateMax = max(r.lateMax, lag)
	}
}

// observe adds one measured result; latencies are in range (clamped).
func (s *series) observe(res *result, corrected, service int64) {
	s.total.add(res)
	o := outOK
	if res.kind != kindOK {
		o = outFailed
	}
	h := s.outcome(o)
	h.latency.record(corrected)
	h.service.record(service)
	h.interval.record(corrected)
}

// flush closes the interval ending at end (time since origin), appending a
// timeline point and writing the interval's histograms to the log. rate is
// the scheduled rate (or users) over the interval; inFlight the requests
// sent and not yet recorded.
func (r *recorder) flush(end time.Duration, rate float64, inFlight int64) {
	start := r.intervalStart
	if end <= start {
		return
	}
	secs := (end - start).Seconds()
	p := record.Point{
		T:            start.Seconds(),
		TargetRate:   rate,
		AchievedRate: float64(r.interval.requests) / secs,
		Requests:     r.interval.requests,
		Errors:       r.interval.requests - r.interval.successes,
		InFlight:     inFlight,
		Warmup:       start < r.warmup,
		StatusCodes:  codesMap(r.interval.codes),
		ErrorKinds:   kindsMap(&r.interval.kinds),
		OutputTokens: r.interval.tokens,
	}
	r.timing.flush(&p)
	r.points = append(r.points, p)
	// Subtleness ahead: results are measured by when they were due, and
	// intervals close when the ticker gets to it, so a result due after the
	// warm-up can be recorded before the tick that closes the warm-up's last
	// second. Interval histograms are therefore kept until they are written:
	// what an unlogged (warm-up) interval holds goes into the first logged
	// one, and the log holds every measured result.
	if r.log == nil || end > r.warmup {
		if r.log != nil {
			r.writeIntervals(start, end)
		}
		if r.streamLog != nil {
			r.writeStreamIntervals(r.origin.Add(start).UnixMilli(), r.origin.Add(end).UnixMilli())
		}
		for _, s := range r.series() {
			for _, h := range s.out {
				if h != nil {
					h.interval.reset()
				}
			}
		}
		r.resetStreamIntervals()
	}
	r.interval.reset()
	r.intervalStart = end
	if ok := r.overall.out[outOK]; ok != nil && ok.latency.count() > 0 {
		r.lastP95 = float64(ok.latency.get().ValueAtPercentile(95))
	}
}

// writeIntervals writes the interval [start, end) of every series to the log.
func (r *recorder) writeIntervals(start, end time.Duration) {
	startMs := r.origin.Add(start).UnixMilli()
	endMs := r.origin.Add(end).UnixMilli()
	for i, s := range r.series() {
		r.writeInterval(s.sum(pickInterval), s.name, startMs, endMs, i == 0)
		for o, h := range s.out {
			if h != nil {
				r.writeInterval(h.interval.get(), record.Tag(s.name, outcomeOf(o).population()), startMs, endMs, false)
			}
		}
	}
	if err := r.logBuf.Flush(); err != nil && r.logErr == nil {
		r.logErr = fmt.Errorf("writing latency log: %w", err)
	}
}

// series lists the whole run first, then the endpoints.
func (r *recorder) series() []*series {
	return append([]*series{r.overall}, r.endpoints...)
}

// writeInterval writes h (nil: empty) as the interval [startMs, endMs)
// tagged tag to the latency log; an empty one only when always.
func (r *recorder) writeInterval(h readable, tag string, startMs, endMs int64, always bool) {
	r.writeTo(r.log, h, tag, startMs, endMs, always)
}

// writeTo writes h (nil: empty) as an interval to lw, as writeInterval.
func (r *recorder) writeTo(lw *hdr.HistogramLogWriter, h readable, tag string, startMs, endMs int64, always bool) {
	if h == nil || h.TotalCount() == 0 {
		if !always {
			return
		}
		h = r.empty
	}
	h.SetTag(tag) // Reset clears it
	h.SetStartTimeMs(startMs)
	h.SetEndTimeMs(endMs)
	if err := outputInterval(lw, h); err != nil && r.logErr == nil {
		r.logErr = fmt.Errorf("writing interval log: %w", err)
	}
}

// codesMap and kindsMap turn counter arrays into run.json's maps.
func codesMap(codes *[maxStatus]int64) map[string]int64 {
	if codes == nil {
		return nil
	}
	var m map[string]int64
	for code, n := range codes {
		if n == 0 {
			continue
		}
		if m == nil {
			m = map[string]int64{}
		}
		m[strconv.Itoa(code)] = n
	}
	return m
}

func kindsMap(kinds *[numKinds]int64) map[string]int64 {
	var m map[string]int64
	for k, n := range kinds {
		if n == 0 || kind(k) == kindOK {
			continue
		}
		if m == nil {
			m = map[string]int64{}
		}
		m[kind(k).name()] = n
	}
	return m
}

// quantiles is what a summary reads of a histogram, dense (hdr.Histogram)
// or sparse (hdr.PackedHistogram): both answer alike from the same counts.
type quantiles interface {
	TotalCount() int64
	Min() int64
	Max() int64
	Mean() float64
	ValueAtPercentile(percentile float64) int64
}

// latencySummary summarises a histogram of microseconds.
func latencySummary(h quantiles) record.Latency {
	if h.TotalCount() == 0 {
		return record.Latency{}
	}
	return record.Latency{
		Min:  float64(h.Min()),
		Mean: h.Mean(),
		P50:  float64(h.ValueAtPercentile(50)),
		P90:  float64(h.ValueAtPercentile(90)),
		P95:  float64(h.ValueAtPercentile(95)),
		P99:  float64(h.ValueAtPercentile(99)),
		P999: float64(h.ValueAtPercentile(99.9)),
		Max:  float64(h.Max()),
	}
}

// latencyOf summarises h, or is nil when h is empty: a population with no
// request has no latency, not a latency of zero.
func latencyOf(h quantiles) *record.Latency {
	if h.TotalCount() == 0 {
		return nil
	}
	l := latencySummary(h)
	return &l
}

// summary summarises s's histogram of all requests that pick chooses.
func (s *series) summary(pick func(*histograms) *hist) record.Latency {
	if h := s.sum(pick); h != nil {
		return latencySummary(h)
	}
	return record.Latency{}
}

// outcomeSummary summarises o's histogram of s that pick chooses; nil when
// o has no result.
func (s *series) outcomeSummary(o outcomeOf, pick func(*histograms) *hist) *record.Latency {
	if h := s.out[o]; h != nil {
		return latencyOf(pick(h).get())
	}
	return nil
}

// stats summarises a series over a measured window of secs seconds at a
// target rate (requests per second).
func (s *series) stats(secs, targetRate float64) record.Stats {
	st := record.Stats{
		Requests:            s.total.requests,
		Successes:           s.total.successes,
		LatencyUS:           s.summary(pickLatency),
		ServiceTimeUS:       s.summary(pickService),
		LatencyOKUS:         s.outcomeSummary(outOK, pickLatency),
		LatencyFailedUS:     s.outcomeSummary(outFailed, pickLatency),
		ServiceTimeOKUS:     s.outcomeSummary(outOK, pickService),
		ServiceTimeFailedUS: s.outcomeSummary(outFailed, pickService),
		StatusCodes:         codesMap(s.total.codes),
		Errors:              kindsMap(&s.total.kinds),
		BytesIn:             s.total.bytesIn,
		BytesOut:            s.total.bytesOut,
		Rate:                record.Rate{Target: targetRate},
	}
	st.Stream = s.stream.summary(secs, *s.slo)
	if st.StatusCodes == nil {
		st.StatusCodes = map[string]int64{}
	}
	if st.Errors == nil {
		st.Errors = map[string]int64{}
	}
	if st.Requests > 0 {
		st.ErrorRate = float64(st.Requests-st.Successes) / float64(st.Requests)
	}
	if secs > 0 {
		st.Rate.Achieved = float64(st.Requests) / secs
	}
	return st
}

// serviceLog renders the uncorrected latency of the measured window
// [start, end) (time since origin) as an interval log: one interval for the
// whole run untagged, one per endpoint tagged, and the same for each
// outcome (tags as in latency.hlog).
func (r *recorder) serviceLog(start, end time.Duration) ([]byte, error) {
	var buf bytes.Buffer
	w := hdr.NewHistogramLogWriter(&buf)
	startMs, endMs := r.origin.Add(start).UnixMilli(), r.origin.Add(end).UnixMilli()
	errs := []error{record.WriteHlogHeader(w, r.origin.UnixMilli(), "service time (uncorrected latency) in microseconds over the measured window; untagged = all endpoints, Tag=<endpoint> per endpoint, all requests; Tag=<endpoint>:ok and :failed the successful and failed ones")}
	write := func(h readable, tag string, always bool) {
		if h == nil || h.TotalCount() == 0 {
			if !always {
				return
			}
			h = r.empty
		}
		h.SetTag(tag)
		h.SetStartTimeMs(startMs)
		h.SetEndTimeMs(endMs)
		errs = append(errs, outputInterval(w, h))
	}
	for i, s := range r.series() {
		write(s.sum(pickService), s.name, i == 0)
		for o, h := range s.out {
			if h != nil {
				write(h.service.get(), record.Tag(s.name, outcomeOf(o).population()), false)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("writing service time log: %w", err)
	}
	return buf.Bytes(), nil
}
