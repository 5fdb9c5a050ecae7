package seed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/services"
	"github.com/loadgate/loadgate/target/testdb"
)

// tiny is a data set that loads in a moment, every kind of row.
var tiny = seed.Options{Users: 5, Foods: 20, Messages: 50, Seed: 1}

// TestPrepareSeedsOnce: Prepare migrates and seeds an empty database and,
// with ifEmpty, leaves a seeded one as it is, saying so.
func TestPrepareSeedsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.Fresh(t)
	var log strings.Builder
	if err := seed.Prepare(ctx, url, tiny, true, &log); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if empty, err := seed.IsEmpty(ctx, url); err != nil || empty {
		t.Fatalf("after Prepare IsEmpty = %v, %v; want seeded\nlog: %s", empty, err, log.String())
	}
	first := fingerprint(t, url)
	if !strings.Contains(log.String(), "seed: 5 users, 20 foods, 50 messages") {
		t.Errorf("log of the first Prepare: %s", log.String())
	}

	log.Reset()
	other := tiny
	other.Seed = 2
	if err := seed.Prepare(ctx, url, other, true, &log); err != nil {
		t.Fatalf("second Prepare: %v", err)
	}
	if got := fingerprint(t, url); got != first {
		t.Errorf("Prepare with ifEmpty reseeded a seeded database: %v, was %v", got, first)
	}
	if !strings.Contains(log.String(), "already holds data") {
		t.Errorf("log of the second Prepare: %s", log.String())
	}
}

// TestStackPreparesTheDatabase: Stack calls beforeMigrate on the database
// before it is migrated and returns it seeded.
func TestStackPreparesTheDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.Fresh(t)
	calls, emptyBefore := 0, false
	var log strings.Builder
	stack, err := seed.Stack(ctx, tiny, &log, func(dbURL string) (err error) {
		calls++
		emptyBefore, err = seed.IsEmpty(ctx, dbURL)
		return err
	}, services.WithURLs(url, testdb.RedisURL(t)), services.WithoutThrowaway())
	if err != nil {
		t.Fatalf("Stack: %v\nlog: %s", err, log.String())
	}
	defer stack.Stop()
	if stack.DatabaseURL != url {
		t.Errorf("stack database %s, want %s", stack.DatabaseURL, url)
	}
	if calls != 1 || !emptyBefore {
		t.Errorf("beforeMigrate called %d times, database empty then: %v; want once, empty", calls, emptyBefore)
	}
	if empty, err := seed.IsEmpty(ctx, url); err != nil || empty {
		t.Errorf("after Stack IsEmpty = %v, %v; want seeded\nlog: %s", empty, err, log.String())
	}
}

// TestStackSaysEachStep: Stack says each step as it starts, in order:
// finding the services (and which it found), migrating, seeding; so that a
// first run that takes minutes is never silent. URLs are shown without
// their password.
func TestStackSaysEachStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.Fresh(t)
	var log strings.Builder
	stack, err := seed.Stack(ctx, tiny, &log, nil, services.WithURLs(url, testdb.RedisURL(t)), services.WithoutThrowaway())
	if err != nil {
		t.Fatalf("Stack: %v\nlog: %s", err, log.String())
	}
	defer stack.Stop()
	rest := log.String()
	for _, want := range []string{"services: finding or starting PostgreSQL and Redis", "services: PostgreSQL ", " (found)", "Redis ", "migrate: ", "seed: 5 users"} {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("log lacks %q (in this order):\n%s", want, log.String())
		}
		rest = rest[i+len(want):]
	}
}
