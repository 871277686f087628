package server

import (
	"testing"
	"time"
)

// SetDrainTimeout sets how long a refused body is drained after its 413,
// for the test.
func SetDrainTimeout(t testing.TB, d time.Duration) {
	old := drainTimeout
	drainTimeout = d
	t.Cleanup(func() { drainTimeout = old })
}
