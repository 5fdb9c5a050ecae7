package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/loadgate/loadgate/redact"
)

// cmdHealthcheck GETs a URL and succeeds on a 2xx answer: the container
// health check of docker-compose.yml, where the image has no curl.
func cmdHealthcheck(ctx context.Context, e env, args []string) error {
	fs := newFlags("healthcheck", "URL", "GETs URL and exits 0 on a 2xx answer within 3s, else 2: the container health check\n"+
		"of docker-compose.yml, whose image has no curl.")
	if err := fs.parse(e, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fs.argsError("healthcheck: one URL")
	}
	url := fs.Arg(0)
	shown := redact.URL(url) // a URL's password is sent, never printed
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usageError(fmt.Errorf("healthcheck: %w", redact.Error(err)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", shown, redact.Error(err))
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("healthcheck %s: %s", shown, resp.Status)
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", shown, resp.Status)
	return nil
}
