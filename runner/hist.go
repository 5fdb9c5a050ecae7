package runner

import (
	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// hist is one histogram of latencies (µs), sparse or dense, with the same
// buckets either way, so what it answers does not depend on which.
//
// A dense histogram (hdr.Histogram) is an array over the whole range: some
// 150 KB at 3 significant digits for a plan of a few minutes, whatever it
// holds, and a value is recorded in about 10 ns. A sparse one
// (hdr.PackedHistogram) holds a few bytes per distinct value it saw, and
// records in a binary search over them (some 60 ns with 700 of them). A
// series of an endpoint starts sparse, so that a scenario declaring
// thousands of endpoints costs memory for what they receive; it turns dense
// once it holds more than denseAfter distinct values, while the recorder's
// budget of dense histograms lasts, so that the busy endpoints of a run
// record as fast as a dense histogram allows.
type hist struct {
	dense  *hdr.Histogram
	sparse *hdr.PackedHistogram
	budget *denseBudget // nil: it stays as it is
}

// denseAfter is how many distinct values a sparse histogram holds before it
// turns dense (budget allowing): past a few hundred, its binary search costs
// more than the memory a dense array saves is worth.
const denseAfter = 256

// denseBudget is how many more sparse histograms may turn dense, and their
// geometry. The recorder's goroutine is its only user.
type denseBudget struct {
	left    int
	highest int64
	sigFigs int
}

// readable is what summaries and the interval log read of a histogram,
// dense or sparse.
type readable interface {
	quantiles
	SetTag(tag string)
	SetStartTimeMs(ms int64)
	SetEndTimeMs(ms int64)
}

func newDenseHist(highest int64, sigFigs int) hist {
	return hist{dense: hdr.New(1, highest, sigFigs)}
}

// newSparseHist is a sparse histogram that turns dense while b allows (nil:
// never).
func newSparseHist(highest int64, sigFigs int, b *denseBudget) hist {
	return hist{sparse: hdr.NewPacked(1, highest, sigFigs), budget: b}
}

// record adds v, clamped to the range by the caller. This is the hot path:
// it allocates only when a sparse histogram grows its storage for a value
// it never saw, or turns dense (once).
func (h *hist) record(v int64) {
	if h.dense != nil {
		_ = h.dense.RecordValue(v)
		return
	}
	_ = h.sparse.RecordValue(v)
	if h.budget != nil && h.budget.left > 0 && h.sparse.Populated() > denseAfter {
		h.budget.left--
		h.dense = hdr.New(1, h.budget.highest, h.budget.sigFigs)
		h.sparse.MergeInto(h.dense)
		h.sparse = nil
	}
}

// recordN adds v n times (merging another histogram's bucket), as record.
func (h *hist) recordN(v, n int64) {
	if h.dense != nil {
		_ = h.dense.RecordValues(v, n)
		return
	}
	_ = h.sparse.RecordValues(v, n)
	if h.budget != nil && h.budget.left > 0 && h.sparse.Populated() > denseAfter {
		h.budget.left--
		h.dense = hdr.New(1, h.budget.highest, h.budget.sigFigs)
		h.sparse.MergeInto(h.dense)
		h.sparse = nil
	}
}

func (h *hist) reset() {
	if h.dense != nil {
		h.dense.Reset()
		return
	}
	h.sparse.Reset()
}

func (h *hist) count() int64 {
	if h.dense != nil {
		return h.dense.TotalCount()
	}
	return h.sparse.TotalCount()
}

// get is the histogram itself, to read.
func (h *hist) get() readable {
	if h.dense != nil {
		return h.dense
	}
	return h.sparse
}

// addTo adds h's counts to dst, whose buckets are h's.
func (h *hist) addTo(dst *hdr.Histogram) {
	if h.dense != nil {
		dst.Merge(h.dense)
		return
	}
	h.sparse.MergeInto(dst)
}

// outputInterval writes h to lw as one interval, dense or sparse (the same
// encoding either way).
func outputInterval(lw *hdr.HistogramLogWriter, h readable) error {
	if p, ok := h.(*hdr.PackedHistogram); ok {
		return lw.OutputIntervalPackedHistogram(p)
	}
	return lw.OutputIntervalHistogram(h.(*hdr.Histogram))
}
