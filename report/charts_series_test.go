package report

import (
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// TestDeclaredCharts draws the charts a scenario for another target
// declares, from the timeline: each series under its title, in the chart's
// unit (a ratio in %, seconds in ms, bytes in MiB), ids by place; a chart
// with nothing to draw says why.
func TestDeclaredCharts(t *testing.T) {
	t.Parallel()
	run := &record.Run{
		Plan: record.Plan{
			Series: []record.Series{
				{Name: "stock_hit_rate", Title: "stock cache hits", Unit: record.UnitRatio},
				{Name: "checkout_p95", Unit: record.UnitSeconds},
				{Name: "payment_p95", Unit: record.UnitSeconds},
				{Name: "heap", Unit: record.UnitBytes},
				{Name: "failed_orders", Unit: record.UnitCount},
			},
			Charts: []record.Chart{
				{Title: "Stock cache", Series: []string{"stock_hit_rate"}},
				{Title: "Checkout and payment", Series: []string{"checkout_p95", "payment_p95"}},
				{Title: "Heap", Series: []string{"heap"}},
				{Title: "Failed orders", Series: []string{"failed_orders"}},
			},
		},
		Server: record.Server{SeriesNotes: map[string]string{"failed_orders": "the target exposed no series of shop_orders_total"}},
	}
	tl := &record.Timeline{Points: []record.Point{
		{T: 0},
		{T: 1, Server: map[string]float64{"stock_hit_rate": 0.9, "checkout_p95": 0.25, "payment_p95": 0.5, "heap": 3 << 20}},
		{T: 2, Server: map[string]float64{"stock_hit_rate": 0.8, "checkout_p95": 0.125}},
	}}
	charts := declaredCharts(&runData{Run: run, Timeline: tl}, 100)
	if len(charts) != 4 {
		t.Fatalf("%d charts, want 4", len(charts))
	}
	for i, want := range []struct {
		id, title string
		parts     []string
	}{
		{"series1", "Stock cache", []string{`"name":"stock cache hits"`, `"value":[1,90]`, `"value":[2,80]`, `"name":"%"`, `"max":100`}},
		{"series2", "Checkout and payment", []string{`"name":"checkout_p95"`, `"value":[1,250]`, `"value":[2,125]`, `"name":"payment_p95"`, `"value":[1,500]`, `"name":"ms"`}},
		{"series3", "Heap", []string{`"value":[1,3]`, `"name":"MiB"`}},
	} {
		c := charts[i]
		if c.ID != want.id || c.Title != want.title || c.Missing != "" {
			t.Errorf("chart %d: %s %q (missing %q), want %s %q", i, c.ID, c.Title, c.Missing, want.id, want.title)
		}
		for _, p := range want.parts {
			if !strings.Contains(string(c.Data), p) {
				t.Errorf("%s lacks %s: %s", c.ID, p, c.Data)
			}
		}
	}
	if c := charts[3]; c.Data != "" || c.Missing != "no interval of the timeline holds failed_orders (failed_orders: the target exposed no series of shop_orders_total)" {
		t.Errorf("an empty chart: %+v", c)
	}
	// No metrics.url: no memory series, and the memory chart says so.
	if m := memoryChart(&runData{Run: run, Timeline: tl}, 100); !strings.Contains(m.Missing, "no metrics.url") {
		t.Errorf("memory chart %+v", m)
	}
}
