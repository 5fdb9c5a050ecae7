package cache

import (
	"testing"
	"time"
)

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	m := newMemory(2, time.Minute, time.Now)
	m.set("a", []byte("1"), time.Minute)
	m.set("b", []byte("2"), time.Minute)
	m.get("a") // a is now more recent than b
	m.set("c", []byte("3"), time.Minute)
	if _, ok := m.get("b"); ok {
		t.Fatal("b survived although it was the least recently used")
	}
	for _, k := range []string{"a", "c"} {
		if _, ok := m.get(k); !ok {
			t.Fatalf("%s was evicted", k)
		}
	}
	if m.len() != 2 {
		t.Fatalf("len %d, want 2", m.len())
	}
}

func TestMemoryExpires(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	m := newMemory(10, time.Minute, func() time.Time { return now })
	m.set("k", []byte("v"), 10*time.Second)
	now = now.Add(9 * time.Second)
	if v, ok := m.get("k"); !ok || string(v) != "v" {
		t.Fatal("entry gone before its TTL")
	}
	now = now.Add(time.Second)
	if _, ok := m.get("k"); ok {
		t.Fatal("entry alive at its TTL")
	}
	if m.len() != 0 {
		t.Fatal("expired entry not removed")
	}
}

func TestJitterStaysInBounds(t *testing.T) {
	t.Parallel()
	tc := &Tiered{cfg: Config{TTL: 100 * time.Second, Jitter: 0.1}}
	lo, hi := time.Hour, time.Duration(0)
	for range 2000 {
		d := tc.jittered()
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 90*time.Second || hi > 110*time.Second {
		t.Fatalf("jittered TTLs in [%v, %v], want within ±10 %% of 100s", lo, hi)
	}
	if hi-lo < 10*time.Second {
		t.Fatalf("jittered TTLs in [%v, %v]: hardly any jitter", lo, hi)
	}
}

func TestBreakerSkipsRedisForTheBackoff(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	r := NewRedis(nil, "p:", WithBackoff(time.Second), withClock(func() time.Time { return now }))
	if !r.Available() {
		t.Fatal("new Redis not available")
	}
	r.Fail()
	if r.Available() {
		t.Fatal("available right after a failure")
	}
	now = now.Add(999 * time.Millisecond)
	if r.Available() {
		t.Fatal("available before the backoff ended")
	}
	now = now.Add(time.Millisecond)
	if !r.Available() || r.Failures() != 1 {
		t.Fatalf("after the backoff: available %v, failures %d", r.Available(), r.Failures())
	}
}
