package runner

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
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

// newClient is the attack's HTTP client: the settings vegeta would use,
// with connections capped at maxConns. When ctx ends, its connections are
// closed and no new one is dialled, which fails the requests in flight.
func newClient(ctx context.Context, timeout time.Duration, maxConns int) *http.Client {
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
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns,
		MaxConnsPerHost:     maxConns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &http.Client{Timeout: timeout, Transport: transport}
}
