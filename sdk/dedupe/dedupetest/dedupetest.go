// Package dedupetest checks a [dedupe.Deduper] against the state machine
// of package dedupe, so that every store (dedupe.Memory, sdk/redisstore's
// Deduper, one of your own) is held to the same tests: [StateMachine] walks
// each transition, [Outages] kills the store between every pair of steps
// of a delivery and checks that the step is made at most once. [Hook] lets
// a test act between two steps of a real add-on's delivery.
package dedupetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/dedupe"
)

// Point is a moment between two steps of a delivery.
type Point string

// The points a delivery reaches, in order; [Hook] calls its function at
// each.
const (
	BeforeClaim   Point = "before the claim"
	AfterClaim    Point = "between the claim and the start"
	AfterStart    Point = "between the start and the step"
	BeforeCommit  Point = "between the step and the commit"
	AfterCommit   Point = "after the commit"
	BeforeRelease Point = "between a failed handler and the release"
)

// Hook returns d, calling at with each [Point] a delivery reaches through
// it: before Claim, after a successful Claim or Start, before and after a
// successful Commit, before Release.
func Hook(d dedupe.Deduper, at func(Point)) dedupe.Deduper { return hooked{d, at} }

type hooked struct {
	d  dedupe.Deduper
	at func(Point)
}

func (h hooked) Claim(ctx context.Context, key string) (dedupe.Lease, error) {
	h.at(BeforeClaim)
	l, err := h.d.Claim(ctx, key)
	if err != nil {
		return nil, err
	}
	h.at(AfterClaim)
	return hookedLease{l, h.at}, nil
}

type hookedLease struct {
	l  dedupe.Lease
	at func(Point)
}

func (h hookedLease) Start(ctx context.Context) error {
	err := h.l.Start(ctx)
	if err == nil {
		h.at(AfterStart)
	}
	return err
}

func (h hookedLease) Commit(ctx context.Context) error {
	h.at(BeforeCommit)
	err := h.l.Commit(ctx)
	if err == nil {
		h.at(AfterCommit)
	}
	return err
}

func (h hookedLease) Release(ctx context.Context) error {
	h.at(BeforeRelease)
	return h.l.Release(ctx)
}

// Store is one deduper under test, with what the tests need to move its
// clock and to break it.
type Store struct {
	Deduper dedupe.Deduper
	// Lapse makes every lease handed out so far lapse (the claims and the
	// leases of started events), as the store's clock passing them would;
	// the TTL of what is started or done must not pass.
	Lapse func(t *testing.T)
	// Kill makes every call of the store fail until Revive brings it back
	// with what it had recorded (a Redis that persists each write). Both
	// nil: Outages skips the store.
	Kill, Revive func(t *testing.T)
}

// ErrStoreDown is what a [Breaker]'s deduper answers while broken.
var ErrStoreDown = errors.New("dedupetest: the store is down")

// Breaker wraps a deduper whose every call, its leases' included, fails
// with ErrStoreDown while it is broken, keeping what the deduper recorded:
// a store that dies and comes back with its data.
type Breaker struct {
	d      dedupe.Deduper
	mu     sync.Mutex
	broken bool
}

// NewBreaker returns a Breaker of d, working.
func NewBreaker(d dedupe.Deduper) *Breaker { return &Breaker{d: d} }

// Break makes every call fail; Mend makes them work again.
func (b *Breaker) Break() { b.set(true) }

// Mend undoes Break.
func (b *Breaker) Mend() { b.set(false) }

func (b *Breaker) set(broken bool) {
	b.mu.Lock()
	b.broken = broken
	b.mu.Unlock()
}

func (b *Breaker) down() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.broken {
		return ErrStoreDown
	}
	return nil
}

// Claim implements [dedupe.Deduper].
func (b *Breaker) Claim(ctx context.Context, key string) (dedupe.Lease, error) {
	if err := b.down(); err != nil {
		return nil, err
	}
	l, err := b.d.Claim(ctx, key)
	if err != nil {
		return nil, err
	}
	return breakerLease{b, l}, nil
}

type breakerLease struct {
	b *Breaker
	l dedupe.Lease
}

func (l breakerLease) Start(ctx context.Context) error {
	return l.do(ctx, l.l.Start)
}

func (l breakerLease) Commit(ctx context.Context) error {
	return l.do(ctx, l.l.Commit)
}

func (l breakerLease) Release(ctx context.Context) error {
	return l.do(ctx, l.l.Release)
}

func (l breakerLease) do(ctx context.Context, f func(context.Context) error) error {
	if err := l.b.down(); err != nil {
		return err
	}
	return f(ctx)
}
