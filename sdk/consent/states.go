package consent

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// UsedStates remembers the states that came back, so that each is used
// once: a state replayed (the same redirect opened twice, or an attacker's
// copy) is refused. It holds a bounded number of states, so that a flood
// of them costs a bounded memory. [MemoryUsedStates] serves one replica,
// sdk/redisstore's UsedStates several; a store of your own runs the
// conformance suite of sdk/consent/consenttest in its tests.
type UsedStates interface {
	// Use records id as used until expires, or returns [ErrStateUsed] when
	// it already was, or [ErrTooManyStates] when it holds as many
	// unexpired states as it may.
	Use(ctx context.Context, id string, expires time.Time) error
}

// DefaultMaxStates bounds the states a [UsedStates] holds at once, by
// default: a state is kept from its return until it expires
// ([Config.StateTTL], 15 minutes), so 100,000 allows over 100 consents a
// second, sustained, in about 13 MB of memory or 12 MB of Redis
// (measured), and a flood of returned states no more.
const DefaultMaxStates = 100_000

// MemoryUsedStates is [UsedStates] in this process's memory, for one
// replica: the [Manager]'s default. Its zero value is ready to use. It is
// safe for concurrent use.
type MemoryUsedStates struct {
	// Max bounds the states held at once; [DefaultMaxStates] if 0 or
	// less. Beyond it, Use returns [ErrTooManyStates] until some expire.
	Max int

	now   func() time.Time // time.Now if nil: the Manager's clock, when it makes one
	mu    sync.Mutex
	used  map[string]time.Time
	order expiries // the same states, soonest expiry first
}

// Use implements [UsedStates].
func (m *MemoryUsedStates) Use(_ context.Context, id string, expires time.Time) error {
	now := time.Now()
	if m.now != nil {
		now = m.now()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.used == nil {
		m.used = map[string]time.Time{}
	}
	// Forget the expired ones: an expired state is refused for its
	// expiry before it is looked up here.
	for len(m.order) > 0 && !now.Before(m.order[0].expires) {
		delete(m.used, heap.Pop(&m.order).(usedState).id)
	}
	if _, ok := m.used[id]; ok {
		return ErrStateUsed
	}
	max := m.Max
	if max <= 0 {
		max = DefaultMaxStates
	}
	if len(m.used) >= max {
		return ErrTooManyStates
	}
	m.used[id] = expires
	heap.Push(&m.order, usedState{id, expires})
	return nil
}

type usedState struct {
	id      string
	expires time.Time
}

// expiries is a min-heap of used states by expiry (container/heap).
type expiries []usedState

func (h expiries) Len() int           { return len(h) }
func (h expiries) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiries) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiries) Push(x any)        { *h = append(*h, x.(usedState)) }
func (h *expiries) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
