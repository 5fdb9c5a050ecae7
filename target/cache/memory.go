package cache

import (
	"container/list"
	"sync"
	"time"
)

// memory is the in-process tier: a bounded LRU whose entries also expire.
type memory struct {
	size int
	ttl  time.Duration
	now  func() time.Time

	mu    sync.Mutex // guards items and order
	items map[string]*list.Element
	order *list.List // front = most recently used; values are *memEntry
}

type memEntry struct {
	key     string
	val     []byte
	expires time.Time
}

func newMemory(size int, ttl time.Duration, now func() time.Time) *memory {
	return &memory{size: size, ttl: ttl, now: now, items: make(map[string]*list.Element, size), order: list.New()}
}

// get returns the live value of key.
func (m *memory) get(key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*memEntry)
	if !m.now().Before(e.expires) {
		m.order.Remove(el)
		delete(m.items, key)
		return nil, false
	}
	m.order.MoveToFront(el)
	return e.val, true
}

// set stores val under key, evicting the least recently used entry when full.
func (m *memory) set(key string, val []byte, ttl time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	expires := m.now().Add(ttl)
	if el, ok := m.items[key]; ok {
		e := el.Value.(*memEntry)
		e.val, e.expires = val, expires
		m.order.MoveToFront(el)
		return
	}
	for m.order.Len() >= m.size {
		last := m.order.Back()
		m.order.Remove(last)
		delete(m.items, last.Value.(*memEntry).key)
	}
	m.items[key] = m.order.PushFront(&memEntry{key: key, val: val, expires: expires})
}

func (m *memory) delete(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		m.order.Remove(el)
		delete(m.items, key)
	}
}

func (m *memory) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}
