// Package expiring is a bounded map whose entries lapse at a given time: the shape of
// regauth's caches of checked passwords and verified refresh tokens.
package expiring

import (
	"iter"
	"maps"
	"sync"
	"time"
)

// Map holds at most size entries; when full, the oldest insertion makes room. Lapsed entries
// are never returned. It is safe for concurrent use.
type Map[K comparable, V any] struct {
	size int
	now  func() time.Time

	mu      sync.Mutex
	entries map[K]entry[V]
	order   []K // insertion order, for eviction when full
}

type entry[V any] struct {
	value V
	until time.Time
}

// New returns an empty Map of at most size entries (at least one); now tells the time.
func New[K comparable, V any](size int, now func() time.Time) *Map[K, V] {
	if now == nil {
		now = time.Now
	}
	return &Map[K, V]{size: max(1, size), now: now, entries: make(map[K]entry[V])}
}

// Get returns k's value if it is there and has not lapsed.
func (m *Map[K, V]) Get(k K) (V, bool) {
	m.mu.Lock()
	e, ok := m.entries[k]
	m.mu.Unlock()
	if !ok || !m.now().Before(e.until) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Put stores v under k until the given time, replacing what k held.
func (m *Map[K, V]) Put(k K, v V, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, exists := m.entries[k]; !exists {
		for len(m.order) >= m.size {
			delete(m.entries, m.order[0])
			m.order = m.order[1:]
		}
		m.order = append(m.order, k)
		// Compact the order slice now and then so its backing array does not grow forever.
		if cap(m.order) > 4*m.size {
			m.order = append(make([]K, 0, 2*m.size), m.order...)
		}
	}
	m.entries[k] = entry[V]{value: v, until: until}
}

// Clear drops every entry.
func (m *Map[K, V]) Clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.entries)
	m.order = m.order[:0]
}

// All yields a copy of the entries taken when iteration starts, lapsed ones included.
func (m *Map[K, V]) All() iter.Seq2[K, V] {
	m.mu.Lock()
	snap := make(map[K]V, len(m.entries))
	for k, e := range m.entries {
		snap[k] = e.value
	}
	m.mu.Unlock()
	return maps.All(snap)
}

// Len is the number of entries held, lapsed ones included.
func (m *Map[K, V]) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
