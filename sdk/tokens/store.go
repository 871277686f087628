package tokens

import (
	"context"
	"crypto/rand"
	"sync"
	"time"
)

// Store keeps each user's tokens, for every replica of the add-on. It
// holds opaque values: the [Keeper] seals a token with the session keys
// (seal.Sealer) before it gives it to the store, so the store, its backups
// and its network never see a token in the clear.
//
// The [Keeper] refreshes a user's token under [Store.Lock] and saves it
// with [Store.Swap], so that when replicas refresh the same user at once
// only one asks Divar, the others read its result, and a token deleted
// meanwhile (the user revoked access) is not brought back.
//
// [NewMemoryStore] serves one replica; sdk/redisstore's Tokens serves
// several. A store of your own runs the conformance suite of
// sdk/tokens/tokenstest in its tests.
type Store interface {
	// Get returns the user's value, or [ErrNoToken].
	Get(ctx context.Context, userID string) (string, error)
	// Put sets the user's value, to lapse after ttl.
	Put(ctx context.Context, userID, value string, ttl time.Duration) error
	// Swap sets the user's value to new, to lapse after ttl, only if it is
	// old now; new "" deletes it. It reports whether it did.
	Swap(ctx context.Context, userID, old, new string, ttl time.Duration) (bool, error)
	// Delete removes the user's value; a user with none is no error.
	Delete(ctx context.Context, userID string) error
	// Lock takes the user's refresh lock for ttl, or returns [ErrLocked]
	// while someone else holds it. The returned unlock releases it if it
	// is still this lock's.
	Lock(ctx context.Context, userID string, ttl time.Duration) (unlock func(context.Context) error, err error)
}

// NewMemoryStore returns a [Store] in this process's memory: for one
// replica, and for tests.
func NewMemoryStore() Store { return newMemoryStore(time.Now) }

// newMemoryStore is a memory store on the clock now: the Keeper's, when
// it makes its default store.
func newMemoryStore(now func() time.Time) *memoryTokens {
	return &memoryTokens{now: now, values: map[string]memoryValue{}, locks: map[string]memoryValue{}}
}

type memoryValue struct {
	v       string
	expires time.Time
}

type memoryTokens struct {
	now    func() time.Time
	mu     sync.Mutex
	values map[string]memoryValue
	locks  map[string]memoryValue
}

func (m *memoryTokens) live(mp map[string]memoryValue, k string) (string, bool) {
	v, ok := mp[k]
	if !ok {
		return "", false
	}
	if !m.now().Before(v.expires) {
		delete(mp, k)
		return "", false
	}
	return v.v, true
}

func (m *memoryTokens) Get(_ context.Context, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.live(m.values, user); ok {
		return v, nil
	}
	return "", ErrNoToken
}

func (m *memoryTokens) Put(_ context.Context, user, v string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values[user] = memoryValue{v, m.now().Add(ttl)}
	return nil
}

func (m *memoryTokens) Swap(_ context.Context, user, old, v string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, _ := m.live(m.values, user); cur != old {
		return false, nil
	}
	if v == "" {
		delete(m.values, user)
	} else {
		m.values[user] = memoryValue{v, m.now().Add(ttl)}
	}
	return true, nil
}

func (m *memoryTokens) Delete(_ context.Context, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.values, user)
	return nil
}

func (m *memoryTokens) Lock(_ context.Context, user string, ttl time.Duration) (func(context.Context) error, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, held := m.live(m.locks, user); held {
		return nil, ErrLocked
	}
	owner := rand.Text()
	m.locks[user] = memoryValue{owner, m.now().Add(ttl)}
	return func(context.Context) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		if v, ok := m.locks[user]; ok && v.v == owner {
			delete(m.locks, user)
		}
		return nil
	}, nil
}
