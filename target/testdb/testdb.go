// Package testdb gives each test package that stores a PostgreSQL database and
// a Redis key prefix of its own, on the real local servers.
//
// Call Main from TestMain: it creates a database named for the test binary and
// the process id on the server of DATABASE_URL (default: the local server,
// user postgres), runs the tests, deletes the package's Redis keys and drops
// the database. Tests read URL, RedisURL and RedisPrefix. The database is
// empty: migrating it is the caller's business, so migration tests can start
// from nothing.
//
// It is for tests only; nothing here is safe against a server shared with
// data you care about beyond the database and prefix it creates.
package testdb

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/loadgate/loadgate/redact"
)

// Defaults used when DATABASE_URL and REDIS_URL are not set.
const (
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	DefaultRedisURL    = "redis://127.0.0.1:6379/0"
)

// Environment variables Main records for the tests of the package.
const (
	envURL    = "LOADGATE_TESTDB_URL"
	envRedis  = "LOADGATE_TESTDB_REDIS_URL"
	envPrefix = "LOADGATE_TESTDB_REDIS_PREFIX"
)

// Main creates the package's database, runs m and drops the database. It
// exits the process with the tests' code (2 when the database cannot be made).
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	server := getenv("DATABASE_URL", DefaultDatabaseURL)
	redisURL := getenv("REDIS_URL", DefaultRedisURL)
	name := Name()

	dbURL, err := Create(ctx, server, name)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		return 2
	}
	prefix := "loadgate-test:" + name + ":"
	os.Setenv(envURL, dbURL)
	os.Setenv(envRedis, redisURL)
	os.Setenv(envPrefix, prefix)

	code := m.Run()

	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := DeleteRedisKeys(ctx, redisURL, prefix); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
	}
	if err := Drop(ctx, server, name); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Name is the database name for this test binary and process:
// loadgate_test_<package>_<pid>.
func Name() string {
	base := strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
	base = regexp.MustCompile(`[^a-z0-9_]+`).ReplaceAllString(strings.ToLower(base), "_")
	if len(base) > 30 {
		base = base[:30]
	}
	return fmt.Sprintf("loadgate_test_%s_%d", base, os.Getpid())
}

// URL is the package's database URL; the test fails when Main was not used.
func URL(tb testing.TB) string { return mustEnv(tb, envURL) }

// RedisURL is the Redis the package's tests use.
func RedisURL(tb testing.TB) string { return mustEnv(tb, envRedis) }

// RedisPrefix is a key prefix unique to this package run; Main deletes the
// keys under it at the end.
func RedisPrefix(tb testing.TB) string { return mustEnv(tb, envPrefix) }

func mustEnv(tb testing.TB, key string) string {
	tb.Helper()
	v := os.Getenv(key)
	if v == "" {
		tb.Fatalf("testdb: %s is not set: call testdb.Main(m) from TestMain", key)
	}
	return v
}

// Fresh creates one more database for tb alone, named for the package run
// and a counter, on the server of DATABASE_URL (default: the local one), and
// drops it when tb ends: for tests that migrate, seed or restore a database of
// their own beside the package's.
func Fresh(tb testing.TB) string {
	tb.Helper()
	server := getenv("DATABASE_URL", DefaultDatabaseURL)
	name := fmt.Sprintf("%s_%d", Name(), freshCount.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, err := Create(ctx, server, name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := Drop(ctx, server, name); err != nil {
			tb.Error(err)
		}
	})
	return url
}

// freshCount numbers Fresh's databases within the process.
var freshCount atomic.Int64

// Create creates database name on the server of serverURL (dropping a leftover
// of the same name first) and returns its URL. It connects to the "postgres"
// database of that server, so serverURL may name a database that does not
// exist yet.
func Create(ctx context.Context, serverURL, name string) (string, error) {
	conn, err := connectAdmin(ctx, serverURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("dropping leftover database %s: %w", name, err)
	}
	// CREATE DATABASE fails while another session uses the template; other
	// test packages may be creating theirs at the same moment, so retry.
	for attempt := 0; ; attempt++ {
		_, err = conn.Exec(ctx, "CREATE DATABASE "+ident)
		if err == nil || attempt == 20 || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return "", fmt.Errorf("creating database %s: %w", name, err)
	}
	return withDatabase(serverURL, name)
}

// withDatabase is serverURL with its database replaced by name.
func withDatabase(serverURL, name string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("database URL %s: %w", redact.URL(serverURL), redact.Error(err))
	}
	u.Path = "/" + name
	return u.String(), nil
}

func connectAdmin(ctx context.Context, serverURL string) (*pgx.Conn, error) {
	adminURL, err := withDatabase(serverURL, "postgres")
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL at %s: %w", redact.URL(adminURL), redact.Error(err))
	}
	return conn, nil
}

// Drop drops database name on the server of serverURL, ending the sessions
// still connected to it.
func Drop(ctx context.Context, serverURL, name string) error {
	conn, err := connectAdmin(ctx, serverURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("dropping database %s: %w", name, err)
	}
	return nil
}

// DeleteRedisKeys deletes every key under prefix.
func DeleteRedisKeys(ctx context.Context, redisURL, prefix string) error {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return fmt.Errorf("redis URL %s: %w", redact.URL(redisURL), redact.Error(err))
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := rdb.Del(ctx, batch...).Err(); err != nil {
				return fmt.Errorf("deleting test keys %s*: %w", prefix, err)
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("scanning test keys %s*: %w", prefix, err)
	}
	if len(batch) > 0 {
		if err := rdb.Del(ctx, batch...).Err(); err != nil {
			return fmt.Errorf("deleting test keys %s*: %w", prefix, err)
		}
	}
	return nil
}

func getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
