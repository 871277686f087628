package divartest

import (
	"bytes"
	"sync"
)

// LogBuffer is an io.Writer safe for concurrent use, read back with
// String: give it to the add-on's logger in a test, and read what the
// add-on logged while it served Divar's calls on other goroutines.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *LogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *LogBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
