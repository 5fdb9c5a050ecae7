package target

import (
	"context"
	"net/http"
	"time"
)

// healthTimeout bounds each dependency check of /api/health.
const healthTimeout = time.Second

// Health is the body of GET /api/health.
type Health struct {
	// Status is "ok", "degraded" (Redis down; still 200) or "down"
	// (PostgreSQL down; 503).
	Status   string `json:"status"`
	Postgres string `json:"postgres"` // "ok" or "down"
	Redis    string `json:"redis"`    // "ok" or "down"
	Version  string `json:"version"`
	Profile  string `json:"profile"`
	LLM      string `json:"llm"`
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	// Each check has its own time: a Redis that does not answer (a killed
	// one keeps go-redis waiting until the deadline) must not use up
	// PostgreSQL's and make the target look down.
	check := func(ping func(context.Context) error) error {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		return ping(ctx)
	}
	h := Health{Status: "ok", Postgres: "ok", Redis: "ok", Version: s.cfg.Version, Profile: string(s.cfg.Profile), LLM: s.llm.Name()}
	if err := check(s.redis.Ping); err != nil {
		h.Redis, h.Status = "down", "degraded"
	}
	code := http.StatusOK
	if err := check(s.store.Ping); err != nil {
		s.cfg.Logger.Warn("health: PostgreSQL down", "error", err)
		h.Postgres, h.Status, code = "down", "down", http.StatusServiceUnavailable
	}
	writeJSON(w, code, h)
}
