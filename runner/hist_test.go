package runner

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// TestSparseAndDenseHistAgree: whichever form a hist takes (dense, sparse,
// sparse turned dense midway), run.json's figures and latency.hlog's lines
// are the same, and so is what it adds to a sum. A sparse hist turns dense
// past denseAfter distinct values only while the budget lasts.
func TestSparseAndDenseHistAgree(t *testing.T) {
	t.Parallel()
	const highest = 3_600_000_000 // an hour, in µs
	budget := &denseBudget{left: 1, highest: highest, sigFigs: sigFigs}
	forms := map[string]*hist{
		"dense":           ptr(newDenseHist(highest, sigFigs)),
		"sparse":          ptr(newSparseHist(highest, sigFigs, nil)),
		"turns dense":     ptr(newSparseHist(highest, sigFigs, budget)),
		"budget used up":  ptr(newSparseHist(highest, sigFigs, budget)),
		"reset and again": ptr(newSparseHist(highest, sigFigs, nil)),
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	values := make([]int64, 5000)
	for i := range values {
		values[i] = int64(math.Pow(1e8, rnd.Float64())) // 1 µs to 100 s
	}
	for _, v := range values[:100] {
		forms["reset and again"].record(v * 7)
	}
	forms["reset and again"].reset()
	for _, v := range values {
		for _, name := range []string{"dense", "sparse", "turns dense", "budget used up", "reset and again"} {
			forms[name].record(v)
		}
	}
	if forms["turns dense"].dense == nil || forms["budget used up"].dense != nil || budget.left != 0 {
		t.Fatalf("turned dense: %v, then %v with the budget used up (left %d); want the first only",
			forms["turns dense"].dense != nil, forms["budget used up"].dense != nil, budget.left)
	}
	line := func(h *hist) string {
		var buf bytes.Buffer
		r := h.get()
		r.SetTag("a:ok")
		r.SetStartTimeMs(1_000)
		r.SetEndTimeMs(2_000)
		if err := outputInterval(hdr.NewHistogramLogWriter(&buf), r); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	sum := func(h *hist) string {
		into := hdr.New(1, highest, sigFigs)
		h.addTo(into)
		into.SetTag("sum")
		var buf bytes.Buffer
		if err := hdr.NewHistogramLogWriter(&buf).OutputIntervalHistogram(into); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	want := forms["dense"]
	for name, h := range forms {
		if h.count() != int64(len(values)) {
			t.Errorf("%s: %d values, want %d", name, h.count(), len(values))
		}
		if got, w := latencySummary(h.get()), latencySummary(want.get()); got != w {
			t.Errorf("%s: %+v, dense %+v", name, got, w)
		}
		if got, w := line(h), line(want); got != w {
			t.Errorf("%s: log line\n%s\ndense:\n%s", name, got, w)
		}
		if got, w := sum(h), sum(want); got != w {
			t.Errorf("%s: added to a sum\n%s\ndense:\n%s", name, got, w)
		}
	}
}

func ptr[T any](v T) *T { return &v }
