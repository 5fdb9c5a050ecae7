package seed_test

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

func pgxConnectPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return pgxpool.New(ctx, url)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
