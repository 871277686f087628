package consent_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/consent"
)

// TestMemoryUsedStatesBounded: the states that came back are held until
// they expire, at most Max at once; a replay is a replay even when the
// store is full, and an expired state makes room.
func TestMemoryUsedStatesBounded(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	type use struct {
		at      time.Duration // after t0
		id      string
		expires time.Duration // after t0
		want    error
	}
	for _, tc := range []struct {
		name string
		max  int
		uses []use
	}{
		{"under the bound", 2, []use{{0, "a", 15 * time.Minute, nil}, {0, "b", 15 * time.Minute, nil}}},
		{"beyond the bound", 2, []use{{0, "a", 15 * time.Minute, nil}, {0, "b", 15 * time.Minute, nil}, {0, "c", 15 * time.Minute, consent.ErrTooManyStates}}},
		{"a replay when full", 1, []use{{0, "a", 15 * time.Minute, nil}, {time.Minute, "a", 15 * time.Minute, consent.ErrStateUsed}}},
		{"an expired state makes room", 1, []use{{0, "a", 10 * time.Minute, nil}, {10 * time.Minute, "b", 25 * time.Minute, nil}}},
		{"the soonest to expire goes first", 2, []use{
			{0, "late", 15 * time.Minute, nil}, {time.Minute, "soon", 5 * time.Minute, nil},
			{5 * time.Minute, "c", 20 * time.Minute, nil}, {6 * time.Minute, "late", 15 * time.Minute, consent.ErrStateUsed},
			{6 * time.Minute, "d", 20 * time.Minute, consent.ErrTooManyStates},
		}},
		{"an expired state's id again", 1, []use{{0, "a", time.Minute, nil}, {time.Minute, "a", 16 * time.Minute, nil}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			s := consent.NewMemoryUsedStatesAt(func() time.Time { return now }, tc.max)
			for i, u := range tc.uses {
				now = t0.Add(u.at)
				if err := s.Use(context.Background(), u.id, t0.Add(u.expires)); !errors.Is(err, u.want) || (u.want == nil && err != nil) {
					t.Errorf("use %d (%s at +%v): %v, want %v", i, u.id, u.at, err, u.want)
				}
			}
		})
	}
}

// TestMemoryUsedStatesDefaultBound: the zero value holds DefaultMaxStates
// and no more; the test logs what they cost.
func TestMemoryUsedStatesDefaultBound(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 100,000 states")
	}
	now := time.Now()
	var s consent.MemoryUsedStates
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range consent.DefaultMaxStates {
		if err := s.Use(context.Background(), fmt.Sprintf("%022d", i), now.Add(time.Hour)); err != nil { // 22 characters, as the Manager's ids
			t.Fatalf("state %d: %v", i, err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if err := s.Use(context.Background(), "one-more", now.Add(time.Hour)); !errors.Is(err, consent.ErrTooManyStates) {
		t.Errorf("state %d: %v, want ErrTooManyStates", consent.DefaultMaxStates+1, err)
	}
	t.Logf("%d states: %.1f MB, %d B each", consent.DefaultMaxStates,
		float64(after.HeapAlloc-before.HeapAlloc)/1e6, (after.HeapAlloc-before.HeapAlloc)/uint64(consent.DefaultMaxStates))
}
