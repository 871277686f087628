// Package gone is for tests: whether a value the code under test was given
// has been let go, that is, collected.
package gone

import (
	"runtime"
	"time"
)

// Watch watches v and returns collected, which collects garbage until v has
// been collected, for at most 4 s (a cleanup runs on a goroutine of its own
// after the collection that finds its value unreachable: a busy machine may
// run it late), and reports whether it was. Keep what must hold v alive
// (runtime.KeepAlive) until collected returns.
func Watch[T any](v *T) (collected func() bool) {
	done := make(chan struct{})
	runtime.AddCleanup(v, func(done chan struct{}) { close(done) }, done)
	return func() bool {
		for range 200 {
			runtime.GC()
			select {
			case <-done:
				return true
			case <-time.After(20 * time.Millisecond):
			}
		}
		return false
	}
}
