package redisstore

import "time"

// SetClock makes u count the states' expiries on now.
func SetClock(u *UsedStates, now func() time.Time) { u.now = now }
