package main

import (
	"context"
	"flag"
	"log/slog"

	"github.com/loadgate/loadgate/target"
)

// cmdServe runs the reference target until interrupted.
func cmdServe(ctx context.Context, e env, args []string) error {
	var cfg target.Config
	cfg.Logger = slog.New(slog.NewTextHandler(e.stderr, nil))
	cfg.Version = version
	if err := cfg.FromEnv(e.getenv); err != nil {
		return usageError(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", cfg.Addr, "listen address (env LOADGATE_ADDR)")
	profile := fs.String("profile", string(cfg.Profile), "optimized or baseline (env LOADGATE_PROFILE)")
	db := fs.String("database-url", cfg.DatabaseURL, "PostgreSQL URL (env DATABASE_URL)")
	rd := fs.String("redis-url", cfg.RedisURL, "Redis URL (env REDIS_URL)")
	pprof := fs.String("pprof", cfg.PprofAddr, "serve net/http/pprof (/debug/pprof/) on this host:port, apart from the API; off when empty (env LOADGATE_PPROF)")
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	cfg.Addr, cfg.Profile, cfg.DatabaseURL, cfg.RedisURL, cfg.PprofAddr = *addr, target.Profile(*profile), *db, *rd, *pprof
	return target.Run(ctx, cfg)
}
