package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// liveMetrics serves the runs' live metrics on --metrics-addr for as long as
// the command lasts. Every run registers on a registry of its own (a
// capacity search or a comparison makes several runs); /metrics serves the
// latest one.
type liveMetrics struct {
	current atomic.Pointer[prometheus.Registry]
	srv     *http.Server
	done    chan error
}

// startLiveMetrics listens on addr and serves /metrics.
func startLiveMetrics(e env, addr string) (*liveMetrics, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageError(fmt.Errorf("--metrics-addr %s: %w", addr, err))
	}
	m := &liveMetrics{done: make(chan error, 1)}
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
	fmt.Fprintf(e.stderr, "live metrics: http://%s/metrics\n", l.Addr())
	return m, nil
}

// next returns a fresh registry for the next run and serves it from now on.
func (m *liveMetrics) next() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	m.current.Store(reg)
	return reg
}

// stop closes the listener, letting a scrape under way finish.
func (m *liveMetrics) stop(e env) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := m.srv.Shutdown(ctx); err != nil {
		fmt.Fprintf(e.stderr, "loadgate: stopping the metrics server: %v\n", err)
	}
	if err := <-m.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(e.stderr, "loadgate: the metrics server: %v\n", err)
	}
}
