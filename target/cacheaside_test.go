package target

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loadgate/loadgate/target/cache"
)

// TestCachedJSON: a miss loads and encodes the value, the next lookup is a
// hit that loads nothing, and a failed load is returned, not cached.
func TestCachedJSON(t *testing.T) {
	t.Parallel()
	m, err := cache.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	c := cache.New(cache.Config{Name: "test"}, nil, m, nil)
	ctx := context.Background()
	loads := 0
	load := func(context.Context) (map[string]int, error) { loads++; return map[string]int{"n": 7}, nil }
	for i, wantHit := range []bool{false, true} {
		body, hit, err := cachedJSON(ctx, c, "k", load)
		if err != nil || hit != wantHit || string(body) != `{"n":7}` || loads != 1 {
			t.Errorf("lookup %d: %s hit %v err %v after %d loads; want hit %v, one load", i, body, hit, err, loads, wantHit)
		}
	}
	boom := errors.New("boom")
	for range 2 {
		if _, _, err := cachedJSON(ctx, c, "bad", func(context.Context) (*int, error) { loads++; return nil, boom }); !errors.Is(err, boom) {
			t.Errorf("failed load: %v", err)
		}
	}
	if loads != 3 {
		t.Errorf("%d loads, want the failure loaded again (3)", loads)
	}
	if body, _, err := cachedJSON(ctx, c, "none", func(context.Context) (*int, error) { return nil, nil }); err != nil || string(body) != "null" {
		t.Errorf("nil value: %s %v, want null", body, err)
	}
}
