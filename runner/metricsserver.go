package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// metricsShutdownTimeout bounds how long Close waits for a scrape under way.
const metricsShutdownTimeout = 2 * time.Second

// MetricsServer serves the live metrics of a command's runs on one address
// for as long as the command lasts (loadgate's --metrics-addr). Every run
// registers on a registry of its own (WithMetrics wants a fresh one; a
// capacity search or a comparison makes several runs): /metrics serves the
// one Next returned last.
type MetricsServer struct {
	current atomic.Pointer[prometheus.Registry] // what /metrics serves; nil before the first Next
	addr    net.Addr
	srv     *http.Server
	done    chan error // Serve's return

	closeOnce sync.Once
	closeErr  error // what the first Close returned
}

// ServeMetrics listens on addr (host:port; port 0 picks a free one) and
// serves GET /metrics, in the OpenMetrics format when the scraper asks for
// it. Until the first Next it serves no metrics. The caller calls Close.
func ServeMetrics(addr string) (*MetricsServer, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	m := &MetricsServer{addr: l.Addr(), done: make(chan error, 1)}
	gather := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		if reg := m.current.Load(); reg != nil {
			return reg.Gather()
		}
		return nil, nil
	})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(gather, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { m.done <- m.srv.Serve(l) }()
	return m, nil
}

// Addr is the address the server listens on.
func (m *MetricsServer) Addr() net.Addr { return m.addr }

// Next returns a fresh registry for the next run (give it to WithMetrics)
// and serves it from now on in place of the previous one.
func (m *MetricsServer) Next() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	m.current.Store(reg)
	return reg
}

// Close stops listening, lets a scrape under way finish (up to 2s) and
// returns what went wrong in serving, if anything. It is safe to call twice.
func (m *MetricsServer) Close() error {
	m.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), metricsShutdownTimeout)
		defer cancel()
		var errs []error
		if err := m.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping the metrics server: %w", err))
		}
		if err := <-m.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("the metrics server: %w", err))
		}
		m.closeErr = errors.Join(errs...)
	})
	return m.closeErr
}
