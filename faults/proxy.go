package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"

	"github.com/loadgate/loadgate/scenarios"
)

// Proxy is an in-process TCP proxy (toxiproxy) on loopback in front of a
// service: the target connects to Addr instead of the service, and network
// faults add toxics to it.
type Proxy struct {
	p *toxiproxy.Proxy
}

// NewProxy starts a proxy on a free loopback port forwarding to upstream,
// which must be on loopback. Close stops it.
func NewProxy(name, upstream string) (*Proxy, error) {
	host, _, err := net.SplitHostPort(upstream)
	if err != nil {
		return nil, fmt.Errorf("proxy %s: upstream %q: %w", name, upstream, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("proxy %s: upstream %s is not on loopback", name, upstream)
	}
	// The toxics log through zerolog's global logger, which nothing else in
	// loadgate uses: silence it, or every toxic writes trace lines to stderr.
	zerolog.SetGlobalLevel(zerolog.Disabled)
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("proxy %s: %w", name, err)
	}
	return &Proxy{p: p}, nil
}

// Addr is where the target should connect, host:port.
func (p *Proxy) Addr() string { return p.p.Listen }

// Close stops the proxy and its connections.
func (p *Proxy) Close() { p.p.Stop() }

// Toxics is how many toxics the proxy holds (none when every fault is undone).
func (p *Proxy) Toxics() int { return len(p.p.Toxics.GetToxicArray()) }

// toxic is a network fault: a toxic added on Inject, removed on Undo.
type toxic struct {
	p    *Proxy
	name string
	spec map[string]any
}

func newToxic(p *Proxy, f scenarios.Fault) (*toxic, error) {
	t := &toxic{p: p, name: f.Label()}
	switch f.Action {
	case scenarios.FaultLatency:
		// Both ways: a round trip gains Latency, as a slow link would add.
		t.spec = map[string]any{"type": "latency", "stream": "downstream",
			"attributes": map[string]any{"latency": f.Latency.D().Milliseconds(), "jitter": f.Jitter.D().Milliseconds()}}
	case scenarios.FaultBandwidth:
		t.spec = map[string]any{"type": "bandwidth", "stream": "downstream", "attributes": map[string]any{"rate": f.KBPerS}}
	case scenarios.FaultReset:
		// The first data a client sends after the toxic is on resets its connection.
		t.spec = map[string]any{"type": "reset_peer", "stream": "upstream", "attributes": map[string]any{"timeout": 0}}
	case scenarios.FaultBlackhole:
		// Data is dropped both ways; connections stay open until undone.
		t.spec = map[string]any{"type": "timeout", "stream": "upstream", "attributes": map[string]any{"timeout": 0}}
	default:
		return nil, fmt.Errorf("%s is not a network fault", f.Action)
	}
	return t, nil
}

func (t *toxic) Inject(context.Context) error {
	spec := map[string]any{"name": t.name, "toxicity": 1.0}
	for k, v := range t.spec {
		spec[k] = v
	}
	body, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	if _, err := t.p.p.Toxics.AddToxicJson(bytes.NewReader(body)); err != nil {
		return fmt.Errorf("adding toxic %s: %w", t.name, err)
	}
	return nil
}

func (t *toxic) Undo(ctx context.Context) error {
	if t.p.p.Toxics.GetToxic(t.name) == nil {
		return nil
	}
	if err := t.p.p.Toxics.RemoveToxic(ctx, t.name); err != nil {
		return fmt.Errorf("removing toxic %s: %w", t.name, err)
	}
	return nil
}
