package report

import (
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// A run that fails with no gate failed (interrupted, ended by an abort
// gate, a partial merge) says why on its verdict's line: before, the
// headline was a bare "FAIL", and the reason only further down.
func TestFailHeadlineSaysWhy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mutate   func(*record.Run)
		headline string
	}{
		{"interrupted", func(r *record.Run) { r.Status = record.StatusAborted },
			"FAIL — the run was interrupted before its plan completed"},
		{"abort gate", func(r *record.Run) {
			r.Status = record.StatusAborted
			r.Abort = &record.Abort{Gate: record.Gate{Expr: "error_rate < 5%", Message: "error_rate is 9 %"}, AtS: 6, WindowS: 5}
		}, "FAIL — the abort gate error_rate < 5% ended the run after 6s"},
		{"partial merge", func(r *record.Run) {
			r.Merged = &record.Merged{Shards: 2, Of: 3, Partial: true}
		}, "FAIL — a partial merge: 2 of 3 shards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := judgeChanged(t, []string{"p95 < 10s"}, tt.mutate)
			if out.Verdict != record.VerdictFail || !strings.HasPrefix(out.Headline(), tt.headline) {
				t.Errorf("verdict %s, %q; want fail, %q", out.Verdict, out.Headline(), tt.headline)
			}
		})
	}
}
