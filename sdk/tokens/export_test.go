package tokens

import "time"

// NewMemoryStoreAt returns a memory store on the clock now.
func NewMemoryStoreAt(now func() time.Time) Store { return newMemoryStore(now) }
