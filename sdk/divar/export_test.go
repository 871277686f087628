package divar

import "time"

// SetClock makes c read the time from now (for the media URLs' day).
func SetClock(c *Client, now func() time.Time) { c.now = now }
