package cache_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/target/cache"
	"github.com/loadgate/loadgate/target/testdb"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var prefixSeq atomic.Int64

// newRedis is the package's Redis under a prefix of its own per call.
func newRedis(t *testing.T, opts ...cache.RedisOption) *cache.Redis {
	t.Helper()
	opt, err := redis.ParseURL(testdb.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return cache.NewRedis(c, testdb.RedisPrefix(t)+strconv.FormatInt(prefixSeq.Add(1), 10)+":", opts...)
}

// waitFor waits until cond holds (what a goroutine under test has reached,
// read from what it shows), failing after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func newMetrics(t *testing.T) *cache.Metrics {
	m, err := cache.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func value(c prometheus.Counter) float64 {
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		panic(err)
	}
	return d.GetCounter().GetValue()
}

func count(m *cache.Metrics, name, result string) float64 {
	return value(m.Requests.WithLabelValues(name, result))
}

func lookups(m *cache.Metrics, name, tier, result string) float64 {
	return value(m.Lookups.WithLabelValues(name, tier, result))
}

// loader counts its calls and returns "v<n>".
type loader struct{ calls atomic.Int64 }

func (l *loader) load(context.Context) ([]byte, error) {
	n := l.calls.Add(1)
	return []byte("v" + strconv.FormatInt(n, 10)), nil
}

func TestTiersFillAndAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMetrics(t)
	r := newRedis(t)
	c := cache.New(cache.Config{Name: "t"}, r, m, nil)
	var l loader

	v, hit, err := c.Get(ctx, "k", l.load)
	if err != nil || hit || string(v) != "v1" {
		t.Fatalf("first Get = %q, %v, %v", v, hit, err)
	}
	v, hit, _ = c.Get(ctx, "k", l.load)
	if !hit || string(v) != "v1" || l.calls.Load() != 1 {
		t.Fatalf("second Get = %q, hit %v, loads %d", v, hit, l.calls.Load())
	}
	if lookups(m, "t", "memory", "hit") != 1 || lookups(m, "t", "redis", "miss") != 1 {
		t.Fatal("tier lookups not counted")
	}

	// A second replica (own memory tier, same Redis) is answered by Redis.
	c2 := cache.New(cache.Config{Name: "t"}, r, m, nil)
	v, hit, _ = c2.Get(ctx, "k", l.load)
	if !hit || string(v) != "v1" || lookups(m, "t", "redis", "hit") != 1 {
		t.Fatalf("replica Get = %q, hit %v; redis hits %v", v, hit, lookups(m, "t", "redis", "hit"))
	}
	if count(m, "t", "hit") != 2 || count(m, "t", "miss") != 1 {
		t.Fatalf("requests hit %v miss %v, want 2 and 1", count(m, "t", "hit"), count(m, "t", "miss"))
	}
}

func TestSingleFlight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMetrics(t)
	c := cache.New(cache.Config{Name: "sf"}, newRedis(t), m, nil)
	var calls atomic.Int64
	release := make(chan struct{})
	slow := func(context.Context) ([]byte, error) {
		calls.Add(1)
		<-release
		return []byte("v"), nil
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, _, err := c.Get(ctx, "hot", slow); err != nil || string(v) != "v" {
				t.Errorf("Get = %q, %v", v, err)
			}
		}()
	}
	// Release the load once every caller has missed the memory tier: all
	// 50 then wanted the one load in flight.
	waitFor(t, "50 memory misses", func() bool { return lookups(m, "sf", cache.TierMemory, cache.Miss) == 50 })
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("loader ran %d times for one key, want 1", calls.Load())
	}
	if got := count(m, "sf", "hit") + count(m, "sf", "miss"); got != 50 {
		t.Fatalf("%v requests counted, want 50", got)
	}
}

func TestLoaderErrorIsNotCached(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := cache.New(cache.Config{Name: "e"}, newRedis(t), newMetrics(t), nil)
	boom := errors.New("boom")
	if _, _, err := c.Get(ctx, "k", func(context.Context) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	var l loader
	if v, hit, _ := c.Get(ctx, "k", l.load); hit || string(v) != "v1" {
		t.Fatalf("after an error: %q, hit %v", v, hit)
	}
}

func TestInvalidateReachesOtherReplicas(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := newMetrics(t)
	r := newRedis(t)
	// Two replicas: each its own memory tier and bus, one Redis.
	busA, busB := cache.NewBus(r), cache.NewBus(r)
	a := cache.New(cache.Config{Name: "inv"}, r, m, busA)
	b := cache.New(cache.Config{Name: "inv"}, r, m, busB)
	go busA.Run(ctx)
	go busB.Run(ctx)
	waitFor(t, "both buses subscribed", func() bool {
		n, err := r.Client().PubSubNumSub(ctx, r.Key("invalidate")).Result()
		return err == nil && n[r.Key("invalidate")] == 2
	})

	var l loader
	a.Get(ctx, "k", l.load) // v1 into Redis and a's memory
	if v, _, _ := b.Get(ctx, "k", l.load); string(v) != "v1" {
		t.Fatalf("b = %q", v)
	}
	if err := a.Invalidate(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	// b's memory tier must drop k: its next Get loads v2.
	deadline := time.Now().Add(2 * time.Second)
	for {
		v, _, _ := b.Get(ctx, "k", l.load)
		if string(v) == "v2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica b still answers %q after the invalidation", v)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v, _, _ := a.Get(ctx, "k", l.load); string(v) != "v2" {
		t.Fatalf("a = %q after invalidation, want v2 (from Redis)", v)
	}
}

func TestRedisDownFallsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 50 * time.Millisecond, MaxRetries: -1})
	defer client.Close()
	r := cache.NewRedis(client, "down:", cache.WithBackoff(time.Hour))
	m := newMetrics(t)
	c := cache.New(cache.Config{Name: "d"}, r, m, nil)
	var l loader
	for i := range 5 {
		key := "k" + strconv.Itoa(i)
		v, _, err := c.Get(ctx, key, l.load)
		if err != nil || len(v) == 0 {
			t.Fatalf("Get %s with Redis down: %q, %v", key, v, err)
		}
	}
	if err := c.Invalidate(ctx, "k0"); err != nil {
		t.Fatalf("Invalidate with Redis down: %v", err)
	}
	// One real attempt failed; the others skipped Redis.
	if lookups(m, "d", "redis", "error") != 1 || lookups(m, "d", "redis", "skipped") != 4 {
		t.Fatalf("redis lookups: error %v, skipped %v; want 1 and 4",
			lookups(m, "d", "redis", "error"), lookups(m, "d", "redis", "skipped"))
	}
	// The memory tier still serves.
	if _, hit, _ := c.Get(ctx, "k1", l.load); !hit {
		t.Fatal("memory tier did not answer while Redis is down")
	}
}

func TestDisabledAlwaysLoads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMetrics(t)
	c := cache.New(cache.Config{Name: "off", Disabled: true}, newRedis(t), m, nil)
	var l loader
	for range 3 {
		if _, hit, _ := c.Get(ctx, "k", l.load); hit {
			t.Fatal("disabled cache hit")
		}
	}
	if l.calls.Load() != 3 || count(m, "off", "miss") != 3 || count(m, "off", "hit") != 0 {
		t.Fatalf("loads %d, misses %v", l.calls.Load(), count(m, "off", "miss"))
	}
}

func BenchmarkMemoryHit(b *testing.B) {
	ctx := context.Background()
	m, _ := cache.NewMetrics(prometheus.NewRegistry())
	c := cache.New(cache.Config{Name: "bench"}, nil, m, nil)
	var l loader
	c.Get(ctx, "food:42", l.load)
	b.ReportAllocs()
	for b.Loop() {
		if _, hit, _ := c.Get(ctx, "food:42", l.load); !hit {
			b.Fatal("miss")
		}
	}
}

// A Redis that accepts connections and never answers: each call would wait
// out its timeout, so after the first one Redis is skipped.
func TestRedisSlowIsSkipped(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	client := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), MaxRetries: -1,
		ReadTimeout: time.Second, WriteTimeout: time.Second})
	defer client.Close()
	r := cache.NewRedis(client, "slow:", cache.WithTimeout(30*time.Millisecond), cache.WithBackoff(time.Hour))
	m := newMetrics(t)
	c := cache.New(cache.Config{Name: "slow"}, r, m, nil)
	var l loader
	for i := range 20 {
		if _, _, err := c.Get(context.Background(), "k"+strconv.Itoa(i), l.load); err != nil {
			t.Fatalf("Get with a silent Redis: %v", err)
		}
	}
	if e, s := lookups(m, "slow", "redis", "error"), lookups(m, "slow", "redis", "skipped"); e != 1 || s != 19 {
		t.Fatalf("redis lookups: error %v, skipped %v; want 1 and 19", e, s)
	}
	if r.Available() {
		t.Fatal("slow Redis still marked available")
	}
}
