package runner

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"sync/atomic"
	"testing"
)

// gcPercent reads the garbage collector's target (setting it back at once).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestGCPercentOption: the runner changes the process-wide GC target only
// when the caller asks (WithGCPercent), for the attack alone. Not parallel:
// it reads and sets a process-wide setting.
func TestGCPercentOption(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	for _, tt := range []struct {
		opts   []Option
		during int64
	}{
		{nil, 150},                          // default: left alone
		{[]Option{WithGCPercent(300)}, 300}, // set for the attack
		{[]Option{WithGCPercent(AttackGCPercent)}, AttackGCPercent},
	} {
		var seen atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/health" {
				fmt.Fprint(w, `{"status":"ok"}`)
				return
			}
			seen.Store(int64(gcPercent()))
		}))
		sc := scenarioFor(t, srv.URL, "load:\n  stages:\n    - {duration: 300ms, rate: 20/s}\nrequests:\n  - {name: a, path: /a}\n")
		_, _, err := runWritten(context.Background(), sc, append(tt.opts, WithResultsRoot(t.TempDir()))...)
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := seen.Load(); got != tt.during {
			t.Errorf("%d options: GC target %d during the attack, want %d", len(tt.opts), got, tt.during)
		}
		if got := gcPercent(); got != 150 {
			t.Errorf("%d options: GC target %d after the run, want 150 restored", len(tt.opts), got)
		}
	}
}
