package lockout

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// DefaultMaxKeys is the MemoryStore bound used when none is given: about 25 MB at most
// (a counter costs about 230 bytes; see BenchmarkMemoryStoreBytesPerKey).
const DefaultMaxKeys = 100_000

// MemoryStore keeps counters in this process, for a single regauth. It holds at most maxKeys
// counters: when full, the one whose last failure is oldest is evicted. Expired counters are
// dropped when they are read and, oldest first, whenever a failure is recorded.
type MemoryStore struct {
	now     func() time.Time
	maxKeys int

	mu      sync.Mutex
	entries map[string]*list.Element // of *memoryEntry
	order   *list.List               // least recently failed at the front
}

type memoryEntry struct {
	key      string
	failures Failures
	expires  time.Time
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store whose counters expire by now (time.Now when nil) and
// that keeps at most maxKeys of them (DefaultMaxKeys when maxKeys < 1).
func NewMemoryStore(now func() time.Time, maxKeys int) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	if maxKeys < 1 {
		maxKeys = DefaultMaxKeys
	}
	return &MemoryStore{now: now, maxKeys: maxKeys, entries: make(map[string]*list.Element), order: list.New()}
}

// Fail implements Store.
func (s *MemoryStore) Fail(ctx context.Context, key string, at time.Time, window time.Duration) (Failures, error) {
	if err := ctx.Err(); err != nil {
		return Failures{}, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropExpired(now)
	if el, ok := s.entries[key]; ok {
		e := el.Value.(*memoryEntry)
		if now.Before(e.expires) {
			e.failures.Count++
			if at.After(e.failures.Last) {
				e.failures.Last = at
			}
			e.expires = now.Add(window)
			s.order.MoveToBack(el)
			return e.failures, nil
		}
		s.remove(el)
	}
	for len(s.entries) >= s.maxKeys {
		s.remove(s.order.Front())
	}
	e := &memoryEntry{key: key, failures: Failures{Count: 1, Last: at}, expires: now.Add(window)}
	s.entries[key] = s.order.PushBack(e)
	return e.failures, nil
}

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, key string) (Failures, error) {
	if err := ctx.Err(); err != nil {
		return Failures{}, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.entries[key]
	if !ok {
		return Failures{}, nil
	}
	e := el.Value.(*memoryEntry)
	if !now.Before(e.expires) {
		s.remove(el)
		return Failures{}, nil
	}
	return e.failures, nil
}

// Reset implements Store.
func (s *MemoryStore) Reset(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[key]; ok {
		s.remove(el)
	}
	return nil
}

// Len is the number of counters held, expired ones not yet dropped included.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// dropExpired removes expired counters from the front of the order. With one window for all
// keys (as the Limiter uses) the front expires first, so this stops at the first live counter.
func (s *MemoryStore) dropExpired(now time.Time) {
	for el := s.order.Front(); el != nil; el = s.order.Front() {
		if now.Before(el.Value.(*memoryEntry).expires) {
			return
		}
		s.remove(el)
	}
}

func (s *MemoryStore) remove(el *list.Element) {
	delete(s.entries, el.Value.(*memoryEntry).key)
	s.order.Remove(el)
}
