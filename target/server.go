// Package target is the reference target of loadgate: the Health Agent API,
// a nutrition and fitness coaching agent on PostgreSQL (pgx) and Redis
// (go-redis), with a baseline and an optimized profile of the same handlers.
//
// New builds the server without listening (tests, embedding); Run migrates,
// listens, and shuts down gracefully when its context ends. Storage lives in
// target/store, the tiered cache in target/cache (a lookup tries memory, then
// Redis, then the source: PostgreSQL), the language model in target/agent, and
// the seed data in target/seed.
//
// Routes (JSON; all but health and metrics need the API key, in X-API-Key
// or as Authorization: Bearer KEY; the route label of the metrics in
// brackets):
//
//	GET  /api/health                          [health] status, postgres, redis, version, profile, llm
//	GET  /metrics                             [metrics_prometheus] Prometheus exposition
//	GET  /api/v1/metrics                      [metrics_json] the same for people
//	POST /api/v1/users                        [users_create] {name, email}
//	GET  /api/v1/users/{id}                   [users_get] cached
//	GET  /api/v1/users/{id}/memory            [memory_get] cached; profile, goals, preferences, facts
//	POST /api/v1/users/{id}/memory            [memory_add] {kind, content}; invalidates
//	GET  /api/v1/users/{id}/memory/search?q=  [memory_search] full-text
//	GET  /api/v1/nutrition/search?q=&limit=   [nutrition_search] cached; prefix and misspelling tolerant
//	GET  /api/v1/nutrition/foods/{id}         [nutrition_food] cached
//	POST /api/v1/users/{id}/meals             [meals_log] {food_id, grams, eaten_at?}; awards XP
//	GET  /api/v1/users/{id}/meals/daily?date= [meals_daily]
//	GET  /api/v1/users/{id}/meals/{meal_id}   [meals_get] one meal; 404 when not the user's
//	GET  /api/v1/users/{id}/conversations?limit=&before= [conversations] keyset pages
//	POST /api/v1/chat                         [chat] {user_id, message, stream?}; Server-Timing db, cache, llm;
//	                                          stream: true or Accept: text/event-stream streams the reply (SSE)
//	POST /v1/chat/completions                 [chat_completions] OpenAI chat completions, whole or streamed:
//	                                          {model, messages, stream, max_tokens, stream_options}; user X-User-ID
//	GET  /api/v1/users/{id}/xp                [xp_get] total and rank
//	GET  /api/v1/leaderboard?limit=           [leaderboard] Redis sorted set, PostgreSQL fallback
//
// A streamed reply (stream.go) is Server-Sent Events in the OpenAI
// chat-completion chunk format: a role chunk, content chunks (one token or
// more each), a finish chunk, data: [DONE]. The exchange is stored before
// the finish chunk; a client that goes away before it has nothing stored.
// POST /v1/chat/completions (completions.go) answers the last user message
// as the chat does, for the user of X-User-ID (default the seed's user 1).
//
// Errors are {"error":{"code","message","field"}}: 400 bad input (naming the
// field), 401 missing or unknown key, 404, 409, 413 body over 1 MiB, 502 the
// LLM failed, 503 PostgreSQL unavailable; in a stream that has begun, an
// error event of that shape and no [DONE]. No SQL or driver text reaches a
// client, and no client input is a 5xx: every string that reaches
// PostgreSQL must be valid UTF-8 without NUL bytes, grams is 0.001 to 5000,
// eaten_at and date fall in the years 1 to 9999 UTC, a cursor's time after
// the year 1; the fuzz targets (fuzz_test.go) hold the handlers to that.
package target

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/target/agent"
	"github.com/loadgate/loadgate/target/cache"
	"github.com/loadgate/loadgate/target/store"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
)

// Server is the Health Agent API. Build it with New, serve Handler, and call
// Close when done.
type Server struct {
	cfg     Config
	pool    *pgxpool.Pool
	store   *store.Store
	rdb     *redis.Client
	redis   *cache.Redis
	metrics *metrics
	llm     agent.Provider
	started time.Time

	foods, searches, namedFoods, users, memory, llmCache *cache.Tiered
	board                                                *leaderboard
	keys                                                 *keyMemo

	handler http.Handler
	// recorders reuses statusRecorders across requests: one allocation less
	// on every request.
	recorders sync.Pool

	stopBus   context.CancelFunc
	busDone   chan struct{}
	closeOnce sync.Once
}

// New connects to PostgreSQL and Redis, migrates unless cfg.SkipMigrate, and
// builds the handler. Redis need not answer: the target then runs degraded.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if !cfg.SkipMigrate {
		var opts []migrations.Option
		if cfg.Profile == Baseline {
			opts = append(opts, migrations.WithoutIndexes())
		}
		opts = append(opts, migrations.WithLogger(cfg.Logger))
		if err := migrations.Up(ctx, cfg.DatabaseURL, opts...); err != nil {
			return nil, fmt.Errorf("migrating: %w", err)
		}
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL %s: %w", redact.URL(cfg.DatabaseURL), redact.Error(err))
	}
	pcfg.MaxConns = int32(cfg.PoolSize)
	if cfg.Profile == Optimized {
		for k, v := range store.OptimizedSettings() {
			pcfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	m, err := newMetrics()
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	pcfg.ConnConfig.Tracer = store.Tracer{Observe: m.observeQuery}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", redact.Error(err))
	}
	if err := m.addPool(pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s := &Server{cfg: cfg, pool: pool, store: store.New(pool), metrics: m, started: time.Now()}
	if err := s.build(ctx); err != nil {
		pool.Close()
		if s.rdb != nil {
			s.rdb.Close()
		}
		return nil, err
	}
	return s, nil
}

func (s *Server) build(ctx context.Context) error {
	cfg := s.cfg
	dataset, err := s.store.DatasetID(ctx)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		// go-redis's parse errors quote the URL, password and all.
		return fmt.Errorf("redis URL %s: %w", redact.URL(cfg.RedisURL), redact.Error(err))
	}
	ropt.DialTimeout = 2 * cfg.RedisTimeout
	ropt.ReadTimeout = cfg.RedisTimeout
	ropt.WriteTimeout = cfg.RedisTimeout
	ropt.MaxRetries = 0
	// One dial, no retries (go-redis tries five, 100 ms apart): a Redis that
	// is down fails its call at once and the breaker skips it.
	ropt.DialerRetries = 1
	ropt.PoolSize = 4 * cfg.PoolSize
	s.rdb = redis.NewClient(ropt)
	s.redis = cache.NewRedis(s.rdb, cfg.KeyPrefix+"g"+dataset+":", cache.WithTimeout(cfg.RedisTimeout), cache.WithBackoff(cfg.RedisBackoff))

	if s.llm, err = agent.New(cfg.LLM, nil); err != nil {
		return err
	}
	off := cfg.Profile == Baseline
	bus := cache.NewBus(s.redis)
	newCache := func(name string, ttl time.Duration) *cache.Tiered {
		return cache.New(cache.Config{Name: name, TTL: ttl, Disabled: off}, s.redis, s.metrics.cache, bus)
	}
	// Redis TTLs follow how the data changes: writes through the API
	// invalidate exactly (memory), so the TTL only bounds a lost
	// invalidation; foods change only by seeding or import.
	s.foods = newCache("food", time.Hour)
	s.searches = newCache("nutrition_search", time.Hour)
	s.namedFoods = newCache("food_named", time.Hour)
	s.users = newCache("user", time.Hour)
	s.memory = newCache("memory", time.Hour)
	s.llmCache = newCache("llm_response", time.Hour)
	s.board = &leaderboard{store: s.store, redis: s.redis, off: off, log: cfg.Logger}
	s.keys = newKeyMemo(!off)

	busCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopBus, s.busDone = cancel, make(chan struct{})
	go func() {
		defer close(s.busDone)
		if !off {
			bus.Run(busCtx)
		}
	}()
	s.handler = s.routes()
	return nil
}

// Handler is the API. Serve it with a WriteTimeout, as Serve does: a
// stream moves its connection's write deadline as it writes (each write
// bounded by Config.StreamWriteTimeout), and only a server's WriteTimeout
// sets the deadline again for the connection's next request.
func (s *Server) Handler() http.Handler { return s.handler }

// Profile is the profile the server runs.
func (s *Server) Profile() Profile { return s.cfg.Profile }

// Close stops background work and closes the Redis client and the pool. It
// is safe to call twice; in-flight requests must be drained first.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.stopBus()
		<-s.busDone
		s.rdb.Close()
		s.pool.Close()
	})
}

// route is one entry of the API.
type route struct {
	name    string // the route label of the metrics
	pattern string
	public  bool // no API key needed
	handler http.HandlerFunc
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range []route{
		{"health", "GET /api/health", true, s.health},
		{"metrics_prometheus", "GET /metrics", true, promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP},
		{"metrics_json", "GET /api/v1/metrics", false, s.metricsJSON},
		{"users_create", "POST /api/v1/users", false, s.createUser},
		{"users_get", "GET /api/v1/users/{id}", false, s.getUser},
		{"memory_get", "GET /api/v1/users/{id}/memory", false, s.getMemory},
		{"memory_add", "POST /api/v1/users/{id}/memory", false, s.addMemory},
		{"memory_search", "GET /api/v1/users/{id}/memory/search", false, s.searchMemory},
		{"nutrition_search", "GET /api/v1/nutrition/search", false, s.searchFoods},
		{"nutrition_food", "GET /api/v1/nutrition/foods/{id}", false, s.getFood},
		{"meals_log", "POST /api/v1/users/{id}/meals", false, s.logMeal},
		{"meals_daily", "GET /api/v1/users/{id}/meals/daily", false, s.dailyTotals},
		{"meals_get", "GET /api/v1/users/{id}/meals/{meal_id}", false, s.getMeal},
		{"conversations", "GET /api/v1/users/{id}/conversations", false, s.conversations},
		{"chat", "POST /api/v1/chat", false, s.chat},
		{"chat_completions", "POST /v1/chat/completions", false, s.chatCompletions},
		{"xp_get", "GET /api/v1/users/{id}/xp", false, s.getXP},
		{"leaderboard", "GET /api/v1/leaderboard", false, s.leaderboard},
	} {
		h := http.Handler(rt.handler)
		if !rt.public {
			h = s.requireKey(h)
		}
		mux.Handle(rt.pattern, s.instrument(rt.name, h))
	}
	// Anything else (unknown paths, wrong methods) is route "other": a JSON 404.
	mux.Handle("/", s.instrument("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, notFound("no route for %s %s", r.Method, r.URL.Path))
	})))
	return mux
}

// pprofHandler serves net/http/pprof: the index links the named profiles
// (heap, goroutine, mutex, block, …), profile is a CPU profile, trace an
// execution trace.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// instrument counts and times the requests of one route.
func (s *Server) instrument(name string, h http.Handler) http.Handler {
	duration := s.metrics.duration.WithLabelValues(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec, _ := s.recorders.Get().(*statusRecorder)
		if rec == nil {
			rec = new(statusRecorder)
		}
		rec.ResponseWriter, rec.code = w, 0
		defer func() {
			code := rec.code
			if code == 0 {
				code = http.StatusOK
			}
			rec.ResponseWriter = nil
			s.recorders.Put(rec)
			duration.Observe(time.Since(start).Seconds())
			s.metrics.requests.WithLabelValues(name, r.Method, statusText(code)).Inc()
		}()
		h.ServeHTTP(rec, r)
	})
}

// Run serves cfg.Addr until ctx ends, then shuts down in order: stop
// accepting, drain in-flight requests (up to cfg.ShutdownTimeout), close the
// Redis client and the pool. Requests answered before shutdown were stored
// before they were answered, so nothing acknowledged is lost.
func Run(ctx context.Context, cfg Config) error {
	s, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// RunOn is Run on a listener it is given (cfg.Addr unused), which it closes.
func RunOn(ctx context.Context, cfg Config, ln net.Listener) error {
	s, err := New(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	defer s.Close()
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, then drains and closes as Run does.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	log := s.cfg.Logger
	if s.cfg.PprofAddr != "" {
		pln, err := net.Listen("tcp", s.cfg.PprofAddr)
		if err != nil {
			ln.Close()
			s.Close()
			return fmt.Errorf("pprof: listening on %s: %w", s.cfg.PprofAddr, err)
		}
		// A CPU profile takes 30 s by default: no write timeout.
		psrv := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 5 * time.Second}
		go psrv.Serve(pln)
		defer psrv.Close()
		log.Info("pprof", "addr", pln.Addr().String())
	}
	log.Info("serving", "addr", ln.Addr().String(), "profile", s.cfg.Profile,
		"pool_size", s.cfg.PoolSize, "llm", s.llm.Name(), "version", s.cfg.Version)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "drain_timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	s.Close()
	if err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	log.Info("stopped")
	return nil
}
