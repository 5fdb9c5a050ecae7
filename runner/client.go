package runner

import (
	"context"
	"net"
	"net/http"
	"time"
)

// abortable is a RoundTripper that ties every request to the attack's
// context, so that an aborted run does not wait for its slowest in-flight
// requests (up to the timeout) before it writes its results.
type abortable struct {
	base http.RoundTripper
	ctx  context.Context
}

func (a abortable) RoundTrip(req *http.Request) (*http.Response, error) {
	return a.base.RoundTrip(req.WithContext(a.ctx))
}

// newClient is the attack's HTTP client: the settings vegeta would use,
// with connections capped at maxConns, and requests cancelled when ctx ends.
func newClient(ctx context.Context, timeout time.Duration, maxConns int) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns,
		MaxConnsPerHost:     maxConns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &http.Client{Timeout: timeout, Transport: abortable{base: transport, ctx: ctx}}
}
