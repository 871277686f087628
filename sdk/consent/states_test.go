package consent_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/consent/consenttest"
)

// TestMemoryUsedStatesConformance holds the memory used states to the
// contract every used-state store keeps (consenttest): each state used
// once, at most Max at once, an expired one making room.
func TestMemoryUsedStatesConformance(t *testing.T) {
	consenttest.Run(t, func(_ testing.TB, max int, now func() time.Time) consent.UsedStates {
		return consent.NewMemoryUsedStatesAt(now, max)
	})
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
