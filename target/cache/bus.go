package cache

import (
	"context"
	"strings"
	"sync"
)

// Bus carries invalidations between replicas over Redis pub/sub: each
// Invalidate publishes "<cache>\x00<key>", and every replica's Bus drops that
// key from its caches' memory tier.
type Bus struct {
	redis   *Redis
	channel string

	mu     sync.Mutex // guards caches
	caches map[string]*Tiered
}

// NewBus returns a bus on Redis channel <prefix>invalidate. Call Run to listen.
func NewBus(r *Redis) *Bus {
	return &Bus{redis: r, channel: r.Key("invalidate"), caches: map[string]*Tiered{}}
}

func (b *Bus) add(t *Tiered) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.caches[t.cfg.Name] = t
}

// Run listens until ctx is done. go-redis resubscribes by itself after a
// lost connection; invalidations published meanwhile are lost, which the
// short memory TTL bounds.
func (b *Bus) Run(ctx context.Context) {
	sub := b.redis.Client().Subscribe(ctx, b.channel)
	defer sub.Close()
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-ch:
			if !ok {
				return
			}
			name, key, found := strings.Cut(msg.Payload, "\x00")
			if !found {
				continue
			}
			b.mu.Lock()
			t := b.caches[name]
			b.mu.Unlock()
			if t != nil {
				t.forget(key)
			}
		}
	}
}
