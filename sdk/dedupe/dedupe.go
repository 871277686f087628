// Package dedupe remembers which events an add-on has handled, so that an
// event Divar delivers twice is handled once: the [Deduper] protocol that
// sdk.EventMux follows, and [Memory], the in-process store for one
// replica. Package sdk/redisstore has the store for several replicas.
package dedupe

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// The errors of [Deduper.Claim] and [Lease.Commit]. Compare with errors.Is.
var (
	// ErrDuplicate: the event was handled already.
	ErrDuplicate = errors.New("dedupe: event already handled")
	// ErrInProgress: another delivery of the event is handling it now.
	ErrInProgress = errors.New("dedupe: event being handled by another delivery")
	// ErrLeaseLost: a [Lease] committed after its claim lapsed and another
	// delivery claimed the event; the event may have been handled twice.
	ErrLeaseLost = errors.New("dedupe: event claim lapsed before commit")
)

// Deduper remembers which events were handled, so that an event Divar
// delivers twice is handled once. The protocol is claim → handle →
// commit, or release on failure:
//
//	lease, err := d.Claim(ctx, e.Key())
//	// err: ErrDuplicate (handled already), ErrInProgress
//	// (another delivery holds it), or a store error
//	if err := handle(e); err != nil {
//		lease.Release(ctx) // the retry must handle it again
//		return err
//	}
//	return lease.Commit(ctx)
//
// A claim not committed or released within the store's lease time (a
// crashed replica) lapses, and the event can be claimed again.
// sdk.EventMux follows this protocol; implementations must be safe for
// concurrent use.
type Deduper interface {
	Claim(ctx context.Context, key string) (Lease, error)
}

// Lease is a claim on one event, from [Deduper.Claim].
type Lease interface {
	// Commit records the event as handled.
	Commit(ctx context.Context) error
	// Release gives the claim up, so that the next delivery handles the
	// event.
	Release(ctx context.Context) error
}

// The defaults of every store: [MemoryConfig] and sdk/redisstore's.
const (
	DefaultTTL        = 24 * time.Hour
	DefaultLease      = time.Minute
	DefaultMaxEntries = 100_000
)

// MemoryConfig configures [NewMemory].
type MemoryConfig struct {
	// TTL is how long a handled event is remembered; DefaultTTL if 0.
	TTL time.Duration
	// Lease is how long a claim holds without a commit or a release;
	// DefaultLease if 0.
	Lease time.Duration
	// MaxEntries bounds the memory used; the oldest entries are forgotten
	// first. DefaultMaxEntries if 0.
	MaxEntries int
}

// Memory is the in-process [Deduper]: bounded, with a TTL. It sees only the
// deliveries its own process receives; with several replicas use a shared
// store (sdk/redisstore's Deduper).
type Memory struct {
	cfg     MemoryConfig
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]*list.Element // of *memEntry, oldest at the front
	order   *list.List
	nextID  uint64
}

type memEntry struct {
	key     string
	done    bool
	owner   uint64 // the lease holding a claim
	expires time.Time
}

// NewMemory returns a Memory deduper; zero fields of cfg take the defaults.
func NewMemory(cfg MemoryConfig) *Memory {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	return &Memory{cfg: cfg, now: time.Now, entries: map[string]*list.Element{}, order: list.New()}
}

// Claim implements [Deduper].
func (d *Memory) Claim(ctx context.Context, key string) (Lease, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if el, ok := d.entries[key]; ok {
		e := el.Value.(*memEntry)
		switch {
		case now.After(e.expires) || now.Equal(e.expires):
			d.remove(el)
		case e.done:
			return nil, ErrDuplicate
		default:
			return nil, ErrInProgress
		}
	}
	for d.order.Len() >= d.cfg.MaxEntries {
		d.remove(d.order.Front())
	}
	d.nextID++
	e := &memEntry{key: key, owner: d.nextID, expires: now.Add(d.cfg.Lease)}
	d.entries[key] = d.order.PushBack(e)
	return &memLease{d: d, key: key, owner: e.owner}, nil
}

// Len returns the number of events remembered (handled or claimed).
func (d *Memory) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.order.Len()
}

func (d *Memory) remove(el *list.Element) {
	delete(d.entries, el.Value.(*memEntry).key)
	d.order.Remove(el)
}

// held returns the entry of key if the lease owner still holds it.
func (d *Memory) held(key string, owner uint64) *list.Element {
	el, ok := d.entries[key]
	if !ok {
		return nil
	}
	if e := el.Value.(*memEntry); e.done || e.owner != owner {
		return nil
	}
	return el
}

type memLease struct {
	d     *Memory
	key   string
	owner uint64
}

func (l *memLease) Commit(context.Context) error {
	l.d.mu.Lock()
	defer l.d.mu.Unlock()
	el := l.d.held(l.key, l.owner)
	if el == nil {
		return ErrLeaseLost
	}
	e := el.Value.(*memEntry)
	e.done, e.expires = true, l.d.now().Add(l.d.cfg.TTL)
	l.d.order.MoveToBack(el)
	return nil
}

func (l *memLease) Release(context.Context) error {
	l.d.mu.Lock()
	defer l.d.mu.Unlock()
	if el := l.d.held(l.key, l.owner); el != nil {
		l.d.remove(el)
	}
	return nil
}
