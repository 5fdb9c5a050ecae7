package runner

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/loadgate/loadgate/redact"
)

// ErrUnreachable is wrapped by the error Run returns when the target does
// not answer its health check; the CLI maps it to exit code 2.
var ErrUnreachable = errors.New("target unreachable")

// ErrSetup is wrapped by the error Run returns when a setup request fails.
var ErrSetup = errors.New("setup request failed")

// PreflightError says which URL failed the preflight check and why. URL has no
// password (redact.URL), and the cause is shown on the error's line
// (redact.TerminalError: a network error may quote what the target chose,
// such as its certificate's names): the error is printed.
type PreflightError struct {
	URL string
	// AnyStatus: the check was only that the base URL answers HTTP (the
	// scenario names no health path).
	AnyStatus bool
	Err       error
}

func (e *PreflightError) Error() string {
	cause := redact.TerminalError(e.Err)
	if e.AnyStatus {
		return fmt.Sprintf("target %s does not answer, nothing was sent: %v "+
			"(with no target.health the check is only that the base URL answers HTTP; "+
			"target.health: /path checks a path for 2xx instead, \"health: none\" turns the check off)", e.URL, cause)
	}
	return fmt.Sprintf("target %s is not healthy, nothing was sent: %v "+
		"(target.health in the scenario names the path that must answer 2xx; "+
		"leave it out to check only that the base URL answers, or \"health: none\" to turn the check off)", e.URL, cause)
}

// Unwrap lets errors.Is find ErrUnreachable and the cause.
func (e *PreflightError) Unwrap() []error { return []error{ErrUnreachable, e.Err} }

// preflightRetry is the pause between two health checks that could not
// connect.
const preflightRetry = 200 * time.Millisecond

// health is what Run learns from the health check.
type health struct {
	Profile string `json:"profile"`
}

// preflight checks the target before the attack: url must answer within
// the timeout, with a 2xx status, or with any status when anyStatus is set
// (the base URL of a scenario that names no health path). Connection errors
// are retried every preflightRetry on clk until the timeout, so a target
// still starting gets a moment; an answer with another status and a
// certificate that is not trusted are not. The timeout is a deadline of the requests'
// context, so it is the wall clock's, as the network's time is.
func preflight(ctx context.Context, clk clock, client *http.Client, url string, anyStatus bool, headers http.Header, timeout time.Duration) (health, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	for {
		h, err := checkHealth(ctx, client, url, anyStatus, headers)
		if err == nil {
			return h, nil
		}
		// A check cut short by the deadline says less than the one before
		// it (a refused connection, a certificate): keep that one.
		if lastErr == nil || !errors.Is(err, context.DeadlineExceeded) {
			lastErr = err
		}
		var status statusError
		var cert *tls.CertificateVerificationError
		if errors.As(err, &status) || errors.As(err, &cert) {
			// An answer, or a certificate that will not be trusted on the
			// next try either: no retry.
			return health{}, &PreflightError{URL: redact.URL(url), AnyStatus: anyStatus, Err: redact.Error(err)}
		}
		pause, stop := clk.after(preflightRetry)
		select {
		case <-ctx.Done():
			stop()
			if ctx.Err() == context.Canceled {
				return health{}, ctx.Err()
			}
			return health{}, &PreflightError{URL: redact.URL(url), AnyStatus: anyStatus, Err: redact.Error(lastErr)}
		case <-pause:
		}
	}
}

type statusError struct{ status string }

func (e statusError) Error() string { return "answered " + e.status }

func checkHealth(ctx context.Context, client *http.Client, url string, anyStatus bool, headers http.Header) (health, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return health{}, err
	}
	for k, v := range headers {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return health{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64*1024))
	if err != nil {
		return health{}, err
	}
	if anyStatus {
		return health{}, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return health{}, statusError{status: resp.Status}
	}
	var h health
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		_ = json.Unmarshal(body, &h) // the profile is optional information
	}
	return h, nil
}
