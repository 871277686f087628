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

// SetServerTimeouts sets the timeouts Serve gives its http.Server (the
// request header's, the request's, the answer's, an idle connection's),
// for the test.
func SetServerTimeouts(t testing.TB, header, read, write, idle time.Duration) {
	old := [4]time.Duration{readHeaderTimeout, readTimeout, writeTimeout, idleTimeout}
	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout = header, read, write, idle
	t.Cleanup(func() { readHeaderTimeout, readTimeout, writeTimeout, idleTimeout = old[0], old[1], old[2], old[3] })
}
