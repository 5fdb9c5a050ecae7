package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// dashboardMetrics lists the metric families the Grafana dashboard queries
// (a histogram's _bucket, _sum and _count are its family).
func dashboardMetrics(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "loadgate.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Definition string
			}
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q queries nothing", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	seen := map[string]bool{}
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(name, suffix); ok && strings.HasSuffix(base, "_seconds") {
					name = base
				}
			}
			seen[name] = true
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) < 5 {
		t.Fatalf("the dashboard queries only %v", names)
	}
	return names
}

var metricName = regexp.MustCompile(`\bloadgate_[a-z_]+`)

// TestMetricsAddrServesTheDashboard: `loadgate run --metrics-addr` serves
// every metric the Grafana dashboard queries while the run lasts, and stops
// serving when the command ends.
func TestMetricsAddrServesTheDashboard(t *testing.T) {
	want := dashboardMetrics(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	scen := writeScenario(t, fmt.Sprintf(okScenario, "error_rate < 1%"))
	done := make(chan int, 1)
	go func() {
		code, _, errs := runCLI(t, "run", scen, "--target", srv.URL, "--duration", "3s", "--metrics-addr", addr, "--out", filepath.Join(t.TempDir(), "r"))
		if code != 0 {
			t.Errorf("run exit %d: %s", code, errs)
		}
		done <- code
	}()

	url := "http://" + addr + "/metrics"
	var families map[string]bool
	deadline := time.Now().Add(10 * time.Second)
	for families == nil || !families["loadgate_requests_total"] {
		if time.Now().After(deadline) {
			t.Fatalf("no loadgate_requests_total served within 10s; last scrape had %v", families)
		}
		families = scrapeFamilies(url)
		time.Sleep(50 * time.Millisecond) // polling a server that comes up
	}
	for _, name := range want {
		if !families[name] {
			t.Errorf("the dashboard queries %s; the live endpoint serves %v", name, families)
		}
	}
	<-done
	if _, err := http.Get(url); err == nil {
		t.Error("the metrics endpoint still answers after the command ended")
	}
}

// scrapeFamilies returns the metric families url serves (nil when it does
// not answer yet).
func scrapeFamilies(url string) map[string]bool {
	resp, err := http.Get(url)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(data)))
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for name := range fams {
		out[name] = true
	}
	return out
}
