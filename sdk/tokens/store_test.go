package tokens_test

import (
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/tokens"
	"github.com/kenarkit/kenarkit/sdk/tokens/tokenstest"
)

// TestMemoryStoreConformance holds the memory store to the contract every
// token store keeps; its TTLs pass on a clock the test moves.
func TestMemoryStoreConformance(t *testing.T) {
	tokenstest.Run(t, func(testing.TB) tokenstest.Backend {
		var mu sync.Mutex
		now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		return tokenstest.Backend{
			Store: tokens.NewMemoryStoreAt(clock),
			Lapse: func(testing.TB) { mu.Lock(); now = now.Add(31 * 24 * time.Hour); mu.Unlock() },
		}
	})
}
