package dedupe_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/dedupe/dedupetest"
)

// clock is a time the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newMemory returns a Memory deduper on a clock the test moves, behind a
// Breaker the tests can break, as dedupetest's suites take it.
func newMemory(t *testing.T) dedupetest.Store {
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	d := dedupe.NewMemory(dedupe.MemoryConfig{TTL: time.Hour, Lease: time.Minute})
	dedupe.SetClock(d, c.Now)
	b := dedupetest.NewBreaker(d)
	return dedupetest.Store{
		Deduper: b,
		Lapse:   func(*testing.T) { c.Advance(time.Minute) },
		Kill:    func(*testing.T) { b.Break() },
		Revive:  func(*testing.T) { b.Mend() },
	}
}

func TestMemoryStateMachine(t *testing.T) { dedupetest.StateMachine(t, newMemory) }

func TestMemoryDeliveries(t *testing.T) { dedupetest.Deliveries(t, newMemory) }

// TestMemoryOutages: the store fails between every pair of steps of a
// delivery; a step is made at most once.
func TestMemoryOutages(t *testing.T) { dedupetest.Outages(t, newMemory) }

func TestMemoryTTLAndBound(t *testing.T) {
	ctx := context.Background()
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	d := dedupe.NewMemory(dedupe.MemoryConfig{TTL: time.Hour, Lease: time.Minute, MaxEntries: 3})
	dedupe.SetClock(d, c.Now)
	handle := func(key string) error {
		return dedupe.Run(ctx, d, key, func(context.Context) error { return nil })
	}
	if err := handle("a"); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	if err := handle("a"); err != nil {
		t.Errorf("after the TTL: %v, want handled again", err)
	}
	for _, k := range []string{"c", "d", "e"} {
		_ = handle(k)
	}
	if d.Len() != 3 {
		t.Errorf("Len = %d, want 3", d.Len())
	}
	if err := handle("e"); !errors.Is(err, dedupe.ErrDuplicate) {
		t.Errorf("the newest entry was evicted: %v", err)
	}
}

// A step of a handler that does not run under Run (no deduper) is made
// as it is.
func TestOnceWithoutALease(t *testing.T) {
	made := 0
	for range 2 {
		if err := dedupe.Once(context.Background(), func(context.Context) error { made++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if made != 2 {
		t.Errorf("made %d times, want 2", made)
	}
}

func TestNotSent(t *testing.T) {
	cause := errors.New("refused")
	err := dedupe.NotSent(cause)
	if !errors.Is(err, dedupe.ErrNotSent) || !errors.Is(err, cause) || err.Error() != "refused" {
		t.Errorf("NotSent(cause) = %q: Is ErrNotSent %t, Is cause %t", err, errors.Is(err, dedupe.ErrNotSent), errors.Is(err, cause))
	}
	if dedupe.NotSent(nil) != nil {
		t.Error("NotSent(nil) is not nil")
	}
}

func BenchmarkMemory(b *testing.B) {
	ctx := context.Background()
	d := dedupe.NewMemory(dedupe.MemoryConfig{MaxEntries: 1024})
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = "NEW_MESSAGE:" + time.Unix(int64(i), 0).String()
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if l, err := d.Claim(ctx, keys[i%len(keys)]); err == nil {
			_ = l.Commit(ctx)
		}
		i++
	}
}

// A step that makes another through Once (a wrapped step sending a
// message with divar.Client) is one step: made once, without a deadlock.
func TestOnceWithinOnce(t *testing.T) {
	ctx := context.Background()
	d := dedupe.NewMemory(dedupe.MemoryConfig{})
	made := 0
	handle := func(ctx context.Context) error {
		return dedupe.Once(ctx, func(ctx context.Context) error {
			return dedupe.Once(ctx, func(context.Context) error { made++; return nil })
		})
	}
	for range 2 {
		if err := dedupe.Run(ctx, d, "EVENT:1", handle); err != nil && !errors.Is(err, dedupe.ErrDuplicate) {
			t.Fatal(err)
		}
	}
	if made != 1 {
		t.Errorf("made %d times, want 1", made)
	}
}
