// Package consenttest holds a [consent.UsedStates] to its contract, so
// that every store (the memory default, sdk/redisstore's UsedStates, one
// of your own) is tested alike: a new backend is one package, and one
// test file that calls [Run].
//
//	func TestConformance(t *testing.T) {
//		consenttest.Run(t, func(t testing.TB, max int, now func() time.Time) consent.UsedStates {
//			return mystore.New(…) // fresh, empty, holding at most max states, on the clock now
//		})
//	}
package consenttest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/internal/atonce"
	"github.com/kenarkit/kenarkit/internal/testclock"
	"github.com/kenarkit/kenarkit/sdk/consent"
)

// Run checks the used states newStates returns, fresh for each case,
// against the contract of [consent.UsedStates]: newStates makes a store
// that holds at most max states (max > 0) and counts their expiries on
// the clock now, which the cases move.
func Run(t *testing.T, newStates func(t testing.TB, max int, now func() time.Time) consent.UsedStates) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	type use struct {
		at      time.Duration // the clock, after t0
		id      string
		expires time.Duration // after t0
		want    error
	}
	for _, tc := range []struct {
		name string
		max  int
		uses []use
	}{
		{"a state is used once", 10, []use{{0, "a", 15 * time.Minute, nil}, {time.Minute, "a", 15 * time.Minute, consent.ErrStateUsed}}},
		{"states are kept apart", 10, []use{{0, "a", 15 * time.Minute, nil}, {0, "b", 15 * time.Minute, nil}}},
		{"under the bound", 2, []use{{0, "a", 15 * time.Minute, nil}, {0, "b", 15 * time.Minute, nil}}},
		{"beyond the bound", 2, []use{{0, "a", 15 * time.Minute, nil}, {0, "b", 15 * time.Minute, nil}, {0, "c", 15 * time.Minute, consent.ErrTooManyStates}}},
		{"a replay when full is a replay", 1, []use{{0, "a", 15 * time.Minute, nil}, {time.Minute, "a", 15 * time.Minute, consent.ErrStateUsed}}},
		{"an expired state makes room", 1, []use{{0, "a", 10 * time.Minute, nil}, {10 * time.Minute, "b", 25 * time.Minute, nil}}},
		{"the soonest to expire goes first", 2, []use{
			{0, "late", 15 * time.Minute, nil}, {time.Minute, "soon", 5 * time.Minute, nil},
			{5 * time.Minute, "c", 20 * time.Minute, nil}, {6 * time.Minute, "late", 15 * time.Minute, consent.ErrStateUsed},
			{6 * time.Minute, "d", 20 * time.Minute, consent.ErrTooManyStates},
		}},
		{"an expired state's id again", 1, []use{{0, "a", time.Minute, nil}, {time.Minute, "a", 16 * time.Minute, nil}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := testclock.New(t0)
			s := newStates(t, tc.max, clock.Now)
			for i, u := range tc.uses {
				clock.Set(t0.Add(u.at))
				err := s.Use(ctx, u.id, t0.Add(u.expires))
				if !errors.Is(err, u.want) || (u.want == nil && err != nil) {
					t.Errorf("use %d (%q at %v): %v, want %v", i+1, u.id, u.at, err, u.want)
				}
			}
		})
	}
	t.Run("of one state used at once, one use is taken", func(t *testing.T) {
		s := newStates(t, 100, func() time.Time { return t0 })
		atonce.OneWins(t, 16, consent.ErrStateUsed, func(int) error { return s.Use(ctx, "a", t0.Add(15*time.Minute)) })
	})
	t.Run("states used at once are all held, to the bound", func(t *testing.T) {
		s := newStates(t, 8, func() time.Time { return t0 })
		count := map[error]int{}
		for _, err := range atonce.Errors(16, func(i int) error { return s.Use(ctx, fmt.Sprint("s", i), t0.Add(15*time.Minute)) }) {
			count[err]++
		}
		if count[nil] != 8 || count[consent.ErrTooManyStates] != 8 {
			t.Errorf("uses: %v; want 8 taken, 8 ErrTooManyStates", count)
		}
	})
}
