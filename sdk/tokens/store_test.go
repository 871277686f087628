package tokens_test

import (
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/internal/testclock"
	"github.com/kenarkit/kenarkit/sdk/tokens"
	"github.com/kenarkit/kenarkit/sdk/tokens/tokenstest"
)

// TestMemoryStoreConformance holds the memory store to the contract every
// token store keeps; its TTLs pass on a clock the test moves.
func TestMemoryStoreConformance(t *testing.T) {
	tokenstest.Run(t, func(testing.TB) tokenstest.Backend {
		clock := testclock.New(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
		return tokenstest.Backend{
			Store: tokens.NewMemoryStoreAt(clock.Now),
			Lapse: func(testing.TB) { clock.Advance(31 * 24 * time.Hour) },
		}
	})
}
