package cache_test

import (
	"context"
	"fmt"

	"github.com/loadgate/loadgate/target/cache"
	"github.com/prometheus/client_golang/prometheus"
)

// A cache with only the in-process tier (no Redis): the first Get reads the
// source, the second is a hit.
func ExampleTiered_Get() {
	metrics, _ := cache.NewMetrics(prometheus.NewRegistry())
	foods := cache.New(cache.Config{Name: "food"}, nil, metrics, nil)
	load := func(context.Context) ([]byte, error) {
		fmt.Println("reading food 7 from PostgreSQL")
		return []byte(`{"id":7,"name":"oats"}`), nil
	}
	for range 2 {
		v, hit, _ := foods.Get(context.Background(), "food:7", load)
		fmt.Println(string(v), "hit:", hit)
	}
	// Output:
	// reading food 7 from PostgreSQL
	// {"id":7,"name":"oats"} hit: false
	// {"id":7,"name":"oats"} hit: true
}
