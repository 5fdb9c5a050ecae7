package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// cmdHealthcheck GETs a URL and succeeds on a 2xx answer: the container
// health check of docker-compose.yml, where the image has no curl.
func cmdHealthcheck(ctx context.Context, e env, args []string) error {
	if len(args) != 1 {
		return usageError(errors.New("usage: loadgate healthcheck URL"))
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	if err != nil {
		return usageError(fmt.Errorf("healthcheck: %w", err))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", args[0], err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("healthcheck %s: %s", args[0], resp.Status)
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", args[0], resp.Status)
	return nil
}
