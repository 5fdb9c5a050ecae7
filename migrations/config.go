package migrations

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/loadgate/loadgate/redact"
)

// pgxConfig parses a database URL into a connection config, with an error that
// names the URL without its password.
func pgxConfig(databaseURL string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL %q: %w", redact.URL(databaseURL), redact.Error(err))
	}
	return cfg, nil
}
