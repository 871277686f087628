package dedupe

import "time"

// SetClock makes d read the time from now.
func SetClock(d *Memory, now func() time.Time) { d.now = now }
