// Package services finds or starts the PostgreSQL and Redis that the reference
// target needs, the way a new user meets them (DESIGN.md, "Services").
//
// Connection comes from DATABASE_URL and REDIS_URL. With neither set, the
// standard local ports are tried. When nothing answers there, throwaway
// servers are started from the binaries on the machine (initdb/pg_ctl/postgres
// and redis-server) on free ports under a temporary directory, and Stop ends
// them. With no binaries either, Ensure returns one error that says how to get
// them. The database named in the URL is created when absent.
//
// It is not a process supervisor: the servers it starts live as long as the
// process that called Ensure, and nothing here restarts them.
package services

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/loadgate/loadgate/redact"
)

// Defaults used when DATABASE_URL and REDIS_URL are not set.
const (
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/loadgate?sslmode=disable"
	DefaultRedisURL    = "redis://127.0.0.1:6379/0"
)

// DatabaseURL is the PostgreSQL URL of a command given none: $DATABASE_URL
// (read through getenv), else DefaultDatabaseURL.
func DatabaseURL(getenv func(string) string) string {
	u, _ := pick("", getenv("DATABASE_URL"), DefaultDatabaseURL)
	return u
}

// HowToInstall is the advice given when no server answers and none can be started.
const HowToInstall = `install them from your distribution (Debian/Ubuntu: apt-get install postgresql redis-server;
macOS: brew install postgresql redis), or start both with 'docker compose up -d postgres redis',
or point DATABASE_URL and REDIS_URL at servers you already run`

// Stack is a PostgreSQL and a Redis that answer, with what Ensure started to get them.
type Stack struct {
	DatabaseURL string
	RedisURL    string
	// Started lists the servers Ensure had to start ("postgres", "redis").
	Started []string

	mu      sync.Mutex // guards stops and servers
	stops   []func() error
	servers []*Server
	tempDir string
	log     *slog.Logger
}

// Option configures Ensure.
type Option func(*config)

type config struct {
	databaseURL, redisURL string
	allowThrowaway        bool
	// own lists the servers to start throwaway ones of even when the
	// defaults answer ("postgres", "redis").
	own          map[string]bool
	probeTimeout time.Duration
	log          *slog.Logger
	getenv       func(string) string
	// defaults and binary search paths, replaceable in tests
	defaultDatabaseURL, defaultRedisURL string
	pgSearch                            []string
}

// WithURLs sets the URLs to use instead of DATABASE_URL and REDIS_URL; an
// empty string means "use the environment or the default".
func WithURLs(databaseURL, redisURL string) Option {
	return func(c *config) { c.databaseURL, c.redisURL = databaseURL, redisURL }
}

// WithoutThrowaway makes Ensure fail instead of starting servers of its own.
func WithoutThrowaway() Option { return func(c *config) { c.allowThrowaway = false } }

// WithOwn makes Ensure start throwaway servers of the named kinds
// ("postgres", "redis") even when the standard ports answer: fault drills
// stop and start servers, and only ones loadgate started. A URL given
// explicitly (option or environment) is still used as is.
func WithOwn(names ...string) Option {
	return func(c *config) {
		if c.own == nil {
			c.own = map[string]bool{}
		}
		for _, n := range names {
			c.own[n] = true
		}
	}
}

// WithLogger sets where progress is logged (default: discarded).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithoutEnv ignores DATABASE_URL and REDIS_URL: with WithOwn, servers of
// loadgate's own are started even when the environment names shared ones
// (as `loadgate services --` does for the test suite).
func WithoutEnv() Option { return withGetenv(func(string) string { return "" }) }

// withGetenv replaces os.Getenv, for tests.
func withGetenv(f func(string) string) Option { return func(c *config) { c.getenv = f } }

// withDefaults replaces the default URLs, for tests.
func withDefaults(db, redis string) Option {
	return func(c *config) { c.defaultDatabaseURL, c.defaultRedisURL = db, redis }
}

// withPostgresSearch replaces the directories searched for PostgreSQL's server binaries, for tests.
func withPostgresSearch(globs []string) Option { return func(c *config) { c.pgSearch = globs } }

// Ensure returns a PostgreSQL and a Redis that answer. A URL given explicitly
// (option or environment) that does not answer is an error naming it: the
// user asked for that server. Only the defaults fall back to throwaway servers.
// The caller must call Stop.
func Ensure(ctx context.Context, opts ...Option) (*Stack, error) {
	cfg := config{allowThrowaway: true, probeTimeout: 2 * time.Second, getenv: os.Getenv,
		log:                slog.New(slog.DiscardHandler),
		defaultDatabaseURL: DefaultDatabaseURL, defaultRedisURL: DefaultRedisURL,
		pgSearch: postgresSearch}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Stack{log: cfg.log}

	dbURL, dbExplicit := pick(cfg.databaseURL, cfg.getenv("DATABASE_URL"), cfg.defaultDatabaseURL)
	redisURL, redisExplicit := pick(cfg.redisURL, cfg.getenv("REDIS_URL"), cfg.defaultRedisURL)

	if err := s.ensurePostgres(ctx, cfg, dbURL, dbExplicit); err != nil {
		s.Stop()
		return nil, err
	}
	if err := s.ensureRedis(ctx, cfg, redisURL, redisExplicit); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func pick(explicit, env, def string) (string, bool) {
	if explicit != "" {
		return explicit, true
	}
	if env != "" {
		return env, true
	}
	return def, false
}

func (s *Stack) ensurePostgres(ctx context.Context, cfg config, dbURL string, explicit bool) error {
	err := errors.New("a server of loadgate's own was asked for")
	if explicit || !cfg.own["postgres"] {
		err = pingPostgres(ctx, dbURL, cfg.probeTimeout)
	}
	if err == nil || errors.Is(err, errNoDatabase) {
		if err := CreateDatabase(ctx, dbURL); err != nil {
			return err
		}
		s.DatabaseURL = dbURL
		return nil
	}
	if explicit || !cfg.allowThrowaway {
		return fmt.Errorf("PostgreSQL at %s does not answer: %w", redact.URL(dbURL), err)
	}
	cfg.log.Info("starting a throwaway PostgreSQL", "url", redact.URL(dbURL), "why", redact.Error(err).Error())
	u, err := s.startPostgres(ctx, cfg.pgSearch, databaseName(dbURL))
	if err != nil {
		return fmt.Errorf("no PostgreSQL answers at %s and none could be started: %w\n%s", redact.URL(dbURL), err, HowToInstall)
	}
	if err := CreateDatabase(ctx, u); err != nil {
		return err
	}
	s.DatabaseURL = u
	s.Started = append(s.Started, "postgres")
	return nil
}

func (s *Stack) ensureRedis(ctx context.Context, cfg config, redisURL string, explicit bool) error {
	err := errors.New("a server of loadgate's own was asked for")
	if explicit || !cfg.own["redis"] {
		err = pingRedis(ctx, redisURL, cfg.probeTimeout)
	}
	if err == nil {
		s.RedisURL = redisURL
		return nil
	}
	if explicit || !cfg.allowThrowaway {
		return fmt.Errorf("redis at %s does not answer: %w", redact.URL(redisURL), err)
	}
	cfg.log.Info("starting a throwaway Redis", "url", redact.URL(redisURL), "why", redact.Error(err).Error())
	u, err := s.startRedis(ctx)
	if err != nil {
		return fmt.Errorf("no Redis answers at %s and none could be started: %w\n%s", redact.URL(redisURL), err, HowToInstall)
	}
	s.RedisURL = u
	s.Started = append(s.Started, "redis")
	return nil
}

// Stop ends the servers Ensure started and removes their files. It is safe to
// call more than once and on a nil Stack.
func (s *Stack) Stop() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	stops := s.stops
	s.stops = nil
	dir := s.tempDir
	s.tempDir = ""
	s.mu.Unlock()
	var errs []error
	for i := len(stops) - 1; i >= 0; i-- { // reverse order of start
		errs = append(errs, stops[i]())
	}
	if dir != "" {
		errs = append(errs, os.RemoveAll(dir))
	}
	return errors.Join(errs...)
}

func (s *Stack) onStop(f func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stops = append(s.stops, f)
}

func (s *Stack) dir() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tempDir == "" {
		d, err := os.MkdirTemp("", "loadgate-services-")
		if err != nil {
			return "", err
		}
		s.tempDir = d
	}
	return s.tempDir, nil
}

var errNoDatabase = errors.New("database does not exist")

// pingPostgres connects to dbURL. It returns errNoDatabase when the server
// answers but the database is absent. Errors show no password.
func pingPostgres(ctx context.Context, dbURL string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		if pgCode(err) == "3D000" { // invalid_catalog_name
			return errNoDatabase
		}
		return redact.Error(err)
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}

func pingRedis(ctx context.Context, redisURL string, timeout time.Duration) error {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		// go-redis's parse errors quote the URL, password and all.
		return fmt.Errorf("REDIS_URL %q: %w", redact.URL(redisURL), redact.Error(err))
	}
	// Dial first: go-redis logs every failed dial of its pool, which would
	// fill a new user's terminal while we look for a server.
	conn, err := net.DialTimeout("tcp", opt.Addr, timeout)
	if err != nil {
		return err
	}
	conn.Close()
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = timeout, timeout, timeout
	opt.MaxRetries = -1
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return c.Ping(ctx).Err()
}

// CreateDatabase creates the database named in dbURL when it does not exist,
// connecting to the server's "postgres" database to do so.
func CreateDatabase(ctx context.Context, dbURL string) error {
	name := databaseName(dbURL)
	if name == "" {
		return nil
	}
	admin, err := withDatabase(dbURL, "postgres")
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("creating database %q: %w", name, redact.Error(err))
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("creating database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		// Another process may have created it between the check and now:
		// duplicate_database, or, when both CREATEs ran at once, a
		// unique_violation on the catalog (pg_database's name index).
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok &&
			(pgErr.Code == "42P04" || pgErr.Code == "23505" && pgErr.ConstraintName == "pg_database_datname_index") {
			return nil
		}
		return fmt.Errorf("creating database %q: %w", name, err)
	}
	return nil
}

// pgCode is the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pgErr.Code
	}
	return ""
}

func databaseName(dbURL string) string {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return ""
	}
	return cfg.Database
}

// withDatabase returns dbURL with its database replaced by name.
func withDatabase(dbURL, name string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("DATABASE_URL %q: want postgres://user@host:port/db", redact.URL(dbURL))
	}
	u.Path = "/" + name
	return u.String(), nil
}

// freePort asks the kernel for a free TCP port on loopback.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
