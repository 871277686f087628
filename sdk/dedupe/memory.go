package dedupe

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// MemoryConfig configures [NewMemory].
type MemoryConfig struct {
	// TTL is how long a handled or started event is remembered;
	// DefaultTTL if 0.
	TTL time.Duration
	// Lease is how long a claim holds without a commit or a release;
	// DefaultLease if 0.
	Lease time.Duration
	// MaxEntries bounds the memory used; the oldest entries are forgotten
	// first. DefaultMaxEntries if 0.
	MaxEntries int
}

// Memory is the in-process [Deduper]: bounded, with a TTL. It sees only the
// deliveries its own process receives, and forgets everything when the
// process ends; with several replicas, or to keep a step at most once
// across a restart, use a shared, persistent store (sdk/redisstore's
// Deduper).
type Memory struct {
	cfg     MemoryConfig
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]*list.Element // of *memEntry, oldest at the front
	order   *list.List
	nextID  uint64
}

type memState uint8

const (
	memClaimed memState = iota
	memStarted
	memDone
)

type memEntry struct {
	key        string
	state      memState
	owner      uint64    // the lease holding a claim
	leaseUntil time.Time // a started entry's holder is alive until then
	expires    time.Time
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
		case !now.Before(e.expires):
			d.remove(el)
		case e.state == memDone:
			return nil, ErrDuplicate
		case e.state == memStarted && !now.Before(e.leaseUntil):
			return nil, ErrUnfinished
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

// Len returns the number of events remembered (claimed, started or done).
func (d *Memory) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.order.Len()
}

func (d *Memory) remove(el *list.Element) {
	delete(d.entries, el.Value.(*memEntry).key)
	d.order.Remove(el)
}

// held returns the entry of key if the lease owner still holds it
// (claimed or started, not expired), or nil.
func (d *Memory) held(key string, owner uint64) *list.Element {
	el, ok := d.entries[key]
	if !ok {
		return nil
	}
	if e := el.Value.(*memEntry); e.state == memDone || e.owner != owner || !d.now().Before(e.expires) {
		return nil
	}
	return el
}

type memLease struct {
	d     *Memory
	key   string
	owner uint64
}

// set moves the held entry to state, expiring after ttl, or fails with
// ErrLeaseLost.
func (l *memLease) set(state memState, ttl time.Duration) error {
	l.d.mu.Lock()
	defer l.d.mu.Unlock()
	el := l.d.held(l.key, l.owner)
	if el == nil {
		return ErrLeaseLost
	}
	now := l.d.now()
	e := el.Value.(*memEntry)
	e.state, e.expires, e.leaseUntil = state, now.Add(ttl), now.Add(l.d.cfg.Lease)
	l.d.order.MoveToBack(el)
	return nil
}

func (l *memLease) Start(context.Context) error  { return l.set(memStarted, l.d.cfg.TTL) }
func (l *memLease) Commit(context.Context) error { return l.set(memDone, l.d.cfg.TTL) }

func (l *memLease) Release(context.Context) error {
	l.d.mu.Lock()
	defer l.d.mu.Unlock()
	if el := l.d.held(l.key, l.owner); el != nil {
		l.d.remove(el)
	}
	return nil
}
