package session_test

import (
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/internal/testclock"
	"github.com/kenarkit/kenarkit/sdk/session"
	"github.com/kenarkit/kenarkit/sdk/session/sessiontest"
)

// TestMemoryStoreConformance holds the memory store to the contract every
// session store keeps; its TTLs pass on a clock the test moves.
func TestMemoryStoreConformance(t *testing.T) {
	sessiontest.Run(t, func(testing.TB) sessiontest.Backend {
		clock := testclock.New(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
		m := session.NewMemoryStore(session.MemoryStoreConfig{})
		session.SetClock(m, clock.Now)
		return sessiontest.Backend{Store: m, Lapse: func(testing.TB) { clock.Advance(24 * time.Hour) }}
	})
}
