package main

import (
	"context"
	"fmt"
	"time"

	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/target/services"
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
	status, err := services.CheckHealth(ctx, url)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", shown, status)
	return nil
}
