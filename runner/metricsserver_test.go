package runner

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// scrape GETs url and returns the body; a server that does not answer 200
// fails the test.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
	}
	return string(body)
}

// TestMetricsServerServesTheLatestRun: /metrics serves nothing before the
// first run's registry, then what the latest registry holds (an earlier
// run's series are gone), and nothing answers after Close, which is safe to
// call twice.
func TestMetricsServerServesTheLatestRun(t *testing.T) {
	t.Parallel()
	m, err := ServeMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	url := "http://" + m.Addr().String() + "/metrics"

	if body := scrape(t, url); strings.Contains(body, "loadgate_") {
		t.Errorf("before any run /metrics serves\n%s", body)
	}

	first := prometheus.NewCounter(prometheus.CounterOpts{Name: "loadgate_first_total", Help: "first run"})
	m.Next().MustRegister(first)
	first.Add(3)
	if body := scrape(t, url); !strings.Contains(body, "loadgate_first_total 3") {
		t.Errorf("during the first run /metrics serves\n%s", body)
	}

	second := prometheus.NewCounter(prometheus.CounterOpts{Name: "loadgate_second_total", Help: "second run"})
	m.Next().MustRegister(second)
	second.Inc()
	body := scrape(t, url)
	if !strings.Contains(body, "loadgate_second_total 1") || strings.Contains(body, "loadgate_first_total") {
		t.Errorf("during the second run /metrics serves\n%s", body)
	}

	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Error("/metrics still answers after Close")
	}
}

// TestServeMetricsAddressTaken: an address another listener holds is an
// error, not a server that never answers.
func TestServeMetricsAddressTaken(t *testing.T) {
	t.Parallel()
	m, err := ServeMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if other, err := ServeMetrics(m.Addr().String()); err == nil {
		other.Close()
		t.Errorf("ServeMetrics(%s) succeeded on a taken address", m.Addr())
	}
}
