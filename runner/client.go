package runner

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/loadgate/loadgate/scenarios"
)

// connSet holds the attack's open connections so that an abort can close
// them: requests in flight then fail at once instead of running to their
// timeout, and no request needs a context of its own (a cancellable context
// per request costs allocations and a lock on the hot path).
type connSet struct {
	mu     sync.Mutex // guards conns and closed
	conns  map[*trackedConn]struct{}
	closed bool
}

// trackedConn leaves its set when closed.
type trackedConn struct {
	net.Conn
	set *connSet
}

func (c *trackedConn) Close() error {
	c.set.mu.Lock()
	delete(c.set.conns, c)
	c.set.mu.Unlock()
	return c.Conn.Close()
}

// add tracks conn; after closeAll it closes conn instead.
func (s *connSet) add(conn net.Conn) (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		conn.Close()
		return nil, context.Canceled
	}
	c := &trackedConn{Conn: conn, set: s}
	s.conns[c] = struct{}{}
	return c, nil
}

// closeAll closes every connection, now and from now on.
func (s *connSet) closeAll() {
	s.mu.Lock()
	conns := s.conns
	s.conns, s.closed = map[*trackedConn]struct{}{}, true
	s.mu.Unlock()
	for c := range conns {
		c.Conn.Close()
	}
}

// transportOptions are the target's connection settings (target.tls,
// target.http2) and the headers a redirect to another origin drops, for
// the attack's client and the preflight's alike.
type transportOptions struct {
	tls   *tls.Config // nil: Go's defaults
	http2 bool
	// secret reports whether a header (canonical name) is one a redirect
	// to another origin drops (redirectSecrets); nil: the credential
	// names alone.
	secret func(name string) bool
}

func targetTransport(sc *scenarios.Scenario) (transportOptions, error) {
	cfg, err := sc.TLSConfig()
	if err != nil {
		return transportOptions{}, err
	}
	return transportOptions{tls: cfg, http2: sc.Target.HTTP2On(), secret: redirectSecrets(sc)}, nil
}

// apply sets the TLS configuration and the protocols of t. A transport with
// its own DialContext or TLS configuration attempts HTTP/2 only when told
// to (ForceAttemptHTTP2); an empty TLSNextProto keeps it to HTTP/1.1.
func (o transportOptions) apply(t *http.Transport) {
	if o.tls != nil {
		t.TLSClientConfig = o.tls.Clone()
	}
	if o.http2 {
		t.ForceAttemptHTTP2 = true
	} else {
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
}

// newPlainClient is the client of the preflight and the setup requests.
func newPlainClient(timeout time.Duration, o transportOptions, redirects int) *http.Client {
	t := &http.Transport{Proxy: http.ProxyFromEnvironment, TLSHandshakeTimeout: 10 * time.Second, IdleConnTimeout: 90 * time.Second}
	o.apply(t)
	return &http.Client{Timeout: timeout, Transport: t, CheckRedirect: checkRedirect(redirects, o.secret)}
}

// newClient is the attack's HTTP client: the settings vegeta would use,
// with connections capped at maxConns, the target's TLS and protocols, and
// its redirect limit. When ctx ends, its connections are closed and no new
// one is dialled, which fails the requests in flight.
func newClient(ctx context.Context, timeout time.Duration, maxConns int, o transportOptions, redirects int) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	set := &connSet{conns: map[*trackedConn]struct{}{}}
	context.AfterFunc(ctx, set.closeAll)
	transport := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(dctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(dctx, network, addr)
			if err != nil {
				return nil, err
			}
			return set.add(conn)
		},
		// Bodies are counted as they came and decoded only for checks
		// (bytesin.go): the requests ask for gzip themselves.
		DisableCompression:  true,
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns,
		MaxConnsPerHost:     maxConns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	o.apply(transport)
	return &http.Client{Timeout: timeout, Transport: transport, CheckRedirect: checkRedirect(redirects, o.secret)}
}
