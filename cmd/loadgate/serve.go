package main

import (
	"context"
	"log/slog"

	"github.com/loadgate/loadgate/target"
	"github.com/loadgate/loadgate/target/services"
)

// cmdServe runs the reference target until interrupted.
func cmdServe(ctx context.Context, e env, args []string) error {
	var cfg target.Config
	cfg.Logger = slog.New(slog.NewTextHandler(e.stderr, nil))
	cfg.Version = version
	if err := cfg.FromEnv(e.getenv); err != nil {
		return usageError(err)
	}
	fs := newFlags("serve", "", "Runs the reference target, the Health Agent API, until interrupted: migrates the\n"+
		"database for --profile and listens on --addr. Each flag's default comes from the\n"+
		"environment variable it names; LOADGATE_LLM_* configure the agent's language model.")
	addr := fs.String("addr", cfg.Addr, "listen address (env LOADGATE_ADDR, else "+target.DefaultAddr+")")
	profile := fs.String("profile", string(cfg.Profile), "optimized or baseline (env LOADGATE_PROFILE, else "+string(target.Optimized)+")")
	// The URLs' defaults are not shown: they may hold passwords.
	db := fs.String("database-url", "", "PostgreSQL URL (default: env DATABASE_URL)")
	rd := fs.String("redis-url", "", "Redis URL (default: env REDIS_URL, else "+target.DefaultRedisURL+")")
	pprof := fs.String("pprof", cfg.PprofAddr, "serve net/http/pprof (/debug/pprof/) on this host:port, apart from the API; off when empty (env LOADGATE_PPROF)")
	if err := fs.parse(e, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fs.argsError("serve: no arguments")
	}
	cfg.Addr, cfg.Profile, cfg.PprofAddr = *addr, target.Profile(*profile), *pprof
	if *db != "" {
		cfg.DatabaseURL = *db
	}
	if *rd != "" {
		cfg.RedisURL = *rd
	}
	if fd := e.getenv(services.EnvListenFD); fd != "" {
		// loadgate scenario's target: it binds the address and hands over
		// the socket, so that no other process can answer in its place.
		ln, err := services.ListenerFromFD(fd)
		if err != nil {
			return usageError(err)
		}
		return target.RunOn(ctx, cfg, ln)
	}
	return target.Run(ctx, cfg)
}
