package migrations

import (
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// pgxConfig parses a database URL into a connection config, with an error that
// names the URL without its password.
func pgxConfig(databaseURL string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL %q: %w", redact(databaseURL), err)
	}
	return cfg, nil
}

// redact hides the password of a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}
