package dedupe

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	d := NewMemory(MemoryConfig{TTL: time.Hour, Lease: time.Minute, MaxEntries: 3})
	d.now = func() time.Time { return now }
	claim := func(key string) (Lease, error) { return d.Claim(ctx, key) }

	l, err := claim("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := claim("a"); !errors.Is(err, ErrInProgress) {
		t.Errorf("a claimed key: %v, want ErrInProgress", err)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := claim("a"); !errors.Is(err, ErrDuplicate) {
		t.Errorf("a committed key: %v, want ErrDuplicate", err)
	}

	// Release: the next claim handles the event again.
	l, _ = claim("b")
	_ = l.Release(ctx)
	if l, err = claim("b"); err != nil {
		t.Errorf("a released key: %v", err)
	}

	// A lapsed lease: another delivery may claim; the late commit fails.
	now = now.Add(2 * time.Minute)
	l2, err := claim("b")
	if err != nil {
		t.Fatalf("a lapsed claim: %v", err)
	}
	if err := l.Commit(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("late commit: %v, want ErrLeaseLost", err)
	}
	_ = l.Release(ctx) // must not drop the new owner's claim
	if _, err := claim("b"); !errors.Is(err, ErrInProgress) {
		t.Errorf("the old lease released the new claim: %v", err)
	}
	_ = l2.Commit(ctx)

	// TTL: a handled event is forgotten after it.
	now = now.Add(time.Hour)
	if l, err = claim("a"); err != nil {
		t.Errorf("after the TTL: %v", err)
	}
	_ = l.Commit(ctx)

	// Bound: never more than MaxEntries, oldest forgotten first.
	for _, k := range []string{"c", "d", "e"} {
		l, _ := claim(k)
		_ = l.Commit(ctx)
	}
	if d.Len() != 3 {
		t.Errorf("Len = %d, want 3", d.Len())
	}
	if _, err := claim("e"); !errors.Is(err, ErrDuplicate) {
		t.Errorf("the newest entry was evicted: %v", err)
	}
}

func BenchmarkMemory(b *testing.B) {
	ctx := context.Background()
	d := NewMemory(MemoryConfig{MaxEntries: 1024})
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
