package session

import "time"

// SetClock makes m read the time from now.
func SetClock(m *MemoryStore, now func() time.Time) { m.now = now }
