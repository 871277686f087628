package consent

import "time"

// NewMemoryUsedStatesAt returns a MemoryUsedStates on the clock now,
// holding at most max states.
func NewMemoryUsedStatesAt(now func() time.Time, max int) *MemoryUsedStates {
	return &MemoryUsedStates{Max: max, now: now}
}
