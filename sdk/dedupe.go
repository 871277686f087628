package sdk

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Deduper remembers which events were handled, so that an event Divar
// delivers twice is handled once. The protocol is claim → handle →
// commit, or release on failure:
//
//	lease, err := d.Claim(ctx, e.Key())
//	// err: ErrDuplicateEvent (handled already), ErrEventInProgress
//	// (another delivery holds it), or a store error
//	if err := handle(e); err != nil {
//		lease.Release(ctx) // the retry must handle it again
//		return err
//	}
//	return lease.Commit(ctx)
//
// A claim not committed or released within the store's lease time (a
// crashed replica) lapses, and the event can be claimed again.
// [EventMux] follows this protocol; implementations must be safe for
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

// Defaults of [MemoryDeduperConfig].
const (
	DefaultDedupeTTL     = 24 * time.Hour
	DefaultDedupeLease   = time.Minute
	DefaultDedupeEntries = 100_000
)

// MemoryDeduperConfig configures [NewMemoryDeduper].
type MemoryDeduperConfig struct {
	// TTL is how long a handled event is remembered; DefaultDedupeTTL if 0.
	TTL time.Duration
	// Lease is how long a claim holds without a commit or a release;
	// DefaultDedupeLease if 0.
	Lease time.Duration
	// MaxEntries bounds the memory used; the oldest entries are forgotten
	// first. DefaultDedupeEntries if 0.
	MaxEntries int
}

// MemoryDeduper is the in-process [Deduper]: bounded, with a TTL. It sees
// only the deliveries its own process receives; with several replicas use a
// shared store (package sdk/redisdedupe).
type MemoryDeduper struct {
	cfg     MemoryDeduperConfig
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

// NewMemoryDeduper returns a MemoryDeduper; zero fields of cfg take the
// defaults.
func NewMemoryDeduper(cfg MemoryDeduperConfig) *MemoryDeduper {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultDedupeTTL
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultDedupeLease
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultDedupeEntries
	}
	return &MemoryDeduper{cfg: cfg, now: time.Now, entries: map[string]*list.Element{}, order: list.New()}
}

// Claim implements [Deduper].
func (d *MemoryDeduper) Claim(ctx context.Context, key string) (Lease, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if el, ok := d.entries[key]; ok {
		e := el.Value.(*memEntry)
		switch {
		case now.After(e.expires) || now.Equal(e.expires):
			d.remove(el)
		case e.done:
			return nil, ErrDuplicateEvent
		default:
			return nil, ErrEventInProgress
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
func (d *MemoryDeduper) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.order.Len()
}

func (d *MemoryDeduper) remove(el *list.Element) {
	delete(d.entries, el.Value.(*memEntry).key)
	d.order.Remove(el)
}

// held returns the entry of key if the lease owner still holds it.
func (d *MemoryDeduper) held(key string, owner uint64) *list.Element {
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
	d     *MemoryDeduper
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
