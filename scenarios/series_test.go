package scenarios

import (
	"reflect"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/record"
)

// seriesBase declares named series and charts; the cases below break it.
const seriesBase = `name: s
target: {base_url: http://127.0.0.1:1}
load:
  stages:
    - {duration: 10s, rate: 5/s}
requests:
  - {name: a, path: /a}
metrics:
  url: http://127.0.0.1:1/metrics
  series:
    hit_rate:
      expr: 'ratio(increase(cache_total{result="hit"}), increase(cache_total))'
      title: hit rate
      headline: true
    db_p95: 'quantile(0.95, db_seconds)'
    wait: {expr: 'increase(wait_seconds_total)'}
    queue: 'max(queue_depth)'
  charts:
    - title: Cache
      series: [hit_rate]
    - title: Waits
      series: [db_p95, wait]
gates:
  - hit_rate > 60%
  - db_p95 < 50ms
  - queue < 100
  - rss_bytes < 1GB
`

// TestNamedSeries: the series are parsed in the order written, the
// harness's first; units inferred or given; the charts kept.
func TestNamedSeries(t *testing.T) {
	t.Parallel()
	sc, err := Parse([]byte(seriesBase), "s.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sc.NamedSeries() {
		got = append(got, s.Name+":"+s.Unit)
	}
	want := []string{"rss_bytes:bytes", "hit_rate:ratio", "db_p95:seconds", "wait:seconds", "queue:count"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("series %v, want %v", got, want)
	}
	if s := sc.NamedSeries()[1]; s.Title != "hit rate" || !s.Headline || s.Over == nil || s.Over.Key() != "increase(cache_total)" {
		t.Errorf("hit_rate %+v", s)
	}
	if c := sc.Charts(); len(c) != 2 || c[1].Title != "Waits" || !reflect.DeepEqual(c[1].Series, []string{"db_p95", "wait"}) {
		t.Errorf("charts %+v", c)
	}
	if g := sc.Gates[1].Parsed(); g.Named != "db_p95" || g.Threshold != 0.05 {
		t.Errorf("db_p95 gate %+v", g)
	}
	// The dry run's plan lists them under the metrics.
	if d := sc.Describe(); !strings.Contains(d, "\n  db_p95                   quantile(0.95, db_seconds) (seconds)\n") {
		t.Errorf("the plan does not list the series:\n%s", d)
	}
}

// TestSeriesRefused: every problem of the series and charts at once, each
// at its line and field.
func TestSeriesRefused(t *testing.T) {
	t.Parallel()
	src := strings.NewReplacer(
		`'quantile(0.95, db_seconds)'`, `'quantile(95, db_seconds)'`, // line 15: a bad level
		"{expr: 'increase(wait_seconds_total)'}", "{expr: 'increase(wait_seconds_total)', unit: minutes}", // line 16
		"    queue: 'max(queue_depth)'", "    queue: 'max(queue_depth)'\n    restarts: 'max(x)'\n    p95: 'max(y)'\n    9x: 'max(z)'", // 17-20
		"series: [hit_rate]", "series: [hit_rate, queue]", // line 23: ratio and count
		"    - title: Waits\n      series: [db_p95, wait]", "    - title: ''\n      series: [db_p95, nope]", // lines 24-25
	).Replace(seriesBase)
	_, err := Parse([]byte(src), "bad.yaml", "")
	if err == nil {
		t.Fatalf("accepted:\n%s", src)
	}
	for _, w := range []string{
		"bad.yaml:15:13: metrics.series.db_p95.expr: series db_p95: quantile level \"95\"",
		"bad.yaml:16:", `metrics.series.wait.unit: series wait: unknown unit "minutes"`,
		"bad.yaml:18:", `metrics.series.restarts: "restarts" cannot name a series: the timeline counts the target's restarts`,
		"bad.yaml:19:", `metrics.series.p95: series name "p95" is a metric of the gate language`,
		"bad.yaml:20:", `metrics.series.9x: series name "9x"`,
		"bad.yaml:23:", "metrics.charts[0].series[1]: a chart draws series of one unit: queue is count, hit_rate is ratio",
		"bad.yaml:24:", "metrics.charts[1].title: a chart needs a title",
		"bad.yaml:25:", `metrics.charts[1].series[1]: no series is named "nope"`,
		// The gate on the series that did not parse is not refused again.
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if strings.Contains(err.Error(), "gates[1]") {
		t.Errorf("a gate on a refused series is refused again:\n%v", err)
	}
	// Series and charts without metrics.url.
	src = strings.Replace(seriesBase, "  url: http://127.0.0.1:1/metrics\n", "", 1)
	_, err = Parse([]byte(src), "bad.yaml", "")
	for _, w := range []string{"bad.yaml:10:5: metrics.series: named series are read from the target's Prometheus metrics: set metrics.url", "bad.yaml:18:5: metrics.charts: charts draw",
		// Each gate on a series says so too, as a gate on any scraped metric.
		`bad.yaml:23:5: gates[0]: gate "hit_rate > 60%": it reads the series hit_rate from the target's Prometheus metrics, and metrics.url is not set`,
		`bad.yaml:26:5: gates[3]: gate "rss_bytes < 1GB": it reads the series rss_bytes from the target's Prometheus metrics, and metrics.url is not set`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

// TestBuiltinsDeclareTheReferenceSeries: every built-in scenario with a
// metrics.url declares the reference target's series and charts as the
// reading of old results files names them (record.OldSeries), so that an
// old run and a new one of the same scenario read alike.
func TestBuiltinsDeclareTheReferenceSeries(t *testing.T) {
	t.Parallel()
	oldSeries, oldCharts := record.OldSeries()
	want := append(record.HarnessSeries(), oldSeries...)
	for _, name := range Names() {
		sc, err := Builtin(name, Options{WritesChecked: true})
		if err != nil {
			t.Fatal(err)
		}
		if sc.Metrics.URL == "" {
			continue
		}
		if got := sc.NamedSeries(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s declares\n%+v\nthe old format reads\n%+v", name, got, want)
		}
		if got := sc.Charts(); !reflect.DeepEqual(got, oldCharts) {
			t.Errorf("%s charts %+v, the old format's %+v", name, got, oldCharts)
		}
	}
}

// TestSeriesBetter: which way a series improves is higher or lower.
func TestSeriesBetter(t *testing.T) {
	t.Parallel()
	src := strings.Replace(seriesBase, "      headline: true\n", "      headline: true\n      better: up\n", 1)
	if _, err := Parse([]byte(src), "bad.yaml", ""); err == nil || !strings.Contains(err.Error(), `bad.yaml:15:15: metrics.series.hit_rate.better: "up": want higher or lower`) {
		t.Errorf("better: up: %v", err)
	}
	src = strings.Replace(seriesBase, "      headline: true\n", "      headline: true\n      better: higher\n", 1)
	sc, err := Parse([]byte(src), "ok.yaml", "")
	if err != nil || sc.NamedSeries()[1].Better != record.BetterHigher {
		t.Errorf("better: higher: %v", err)
	}
}
