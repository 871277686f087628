package gone_test

import (
	"runtime"
	"testing"

	"github.com/kenarkit/kenarkit/internal/gone"
)

func TestWatch(t *testing.T) {
	t.Run("a value let go is collected", func(t *testing.T) {
		t.Parallel()
		collected := gone.Watch(new([64]byte))
		if !collected() {
			t.Error("a value nothing holds was not collected")
		}
	})
	t.Run("a value held is not", func(t *testing.T) {
		t.Parallel()
		held := new([64]byte)
		collected := gone.Watch(held)
		if collected() {
			t.Error("a value still held was reported collected")
		}
		runtime.KeepAlive(held)
	})
}
