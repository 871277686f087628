package session

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrNotFound: a [Store] holds nothing under the id: never put, expired,
// or forgotten to make room. Compare with errors.Is.
var ErrNotFound = errors.New("session: no such stored context")

// Store keeps the contexts too long for a URL, for a [Handoff], each under
// a random id, until its TTL has passed. The values are sealed already
// (encrypted, authenticated, bound to their id, with their own expiry), so
// a Store needs no secrecy of its own and a value altered in it is refused
// on open. [MemoryStore] is the default; with several replicas, use a
// shared one (sdk/redisstore's SessionStore), or a page may land on a
// replica that does not hold its context. A store of your own runs the
// conformance suite of sdk/session/sessiontest in its tests. Ids are
// fresh and random: a Store need not handle an id put twice.
//
// Implementations must be safe for concurrent use.
type Store interface {
	// Put keeps value under id until ttl has passed. The caller does not
	// change value afterwards.
	Put(ctx context.Context, id string, value []byte, ttl time.Duration) error
	// Get returns the value under id, or [ErrNotFound]. The caller does
	// not change the value.
	Get(ctx context.Context, id string) ([]byte, error)
}

// DefaultMemoryStoreBytes is [MemoryStoreConfig.MaxBytes] when it is 0.
const DefaultMemoryStoreBytes = 64 << 20

// MemoryStoreConfig configures [NewMemoryStore].
type MemoryStoreConfig struct {
	// MaxBytes bounds the memory the values use; when it is reached the
	// oldest are forgotten first, and their links answer as expired.
	// DefaultMemoryStoreBytes if 0.
	MaxBytes int
}

// MemoryStore is the in-process [Store]: bounded, with a TTL. Only the
// process that put a context can give it back.
type MemoryStore struct {
	max     int
	now     func() time.Time
	mu      sync.Mutex
	size    int
	entries map[string]*list.Element // of *storeEntry, oldest at the front
	order   *list.List
}

type storeEntry struct {
	id      string
	value   []byte
	expires time.Time
}

// entryOverhead is what an entry costs besides its value, roughly.
const entryOverhead = 128

func (e *storeEntry) size() int { return len(e.id) + len(e.value) + entryOverhead }

// NewMemoryStore returns a MemoryStore; zero fields of cfg take the
// defaults.
func NewMemoryStore(cfg MemoryStoreConfig) *MemoryStore {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMemoryStoreBytes
	}
	return &MemoryStore{max: cfg.MaxBytes, now: time.Now, entries: map[string]*list.Element{}, order: list.New()}
}

// Put implements [Store]. It fails only for a value larger than the whole
// store.
func (m *MemoryStore) Put(_ context.Context, id string, value []byte, ttl time.Duration) error {
	e := &storeEntry{id: id, value: value}
	if e.size() > m.max {
		return fmt.Errorf("session: a context of %d bytes does not fit a memory store of %d", len(value), m.max)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	e.expires = now.Add(ttl)
	if el, ok := m.entries[id]; ok {
		m.remove(el)
	}
	for front := m.order.Front(); front != nil && (m.size+e.size() > m.max || !now.Before(front.Value.(*storeEntry).expires)); front = m.order.Front() {
		m.remove(front)
	}
	m.entries[id] = m.order.PushBack(e)
	m.size += e.size()
	return nil
}

// Get implements [Store].
func (m *MemoryStore) Get(_ context.Context, id string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.entries[id]
	if !ok {
		return nil, ErrNotFound
	}
	e := el.Value.(*storeEntry)
	if !m.now().Before(e.expires) {
		m.remove(el)
		return nil, ErrNotFound
	}
	return e.value, nil
}

// Len returns the number of contexts held, expired ones not yet dropped
// included.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}

func (m *MemoryStore) remove(el *list.Element) {
	e := el.Value.(*storeEntry)
	delete(m.entries, e.id)
	m.size -= e.size()
	m.order.Remove(el)
}
