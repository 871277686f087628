package atonce

import (
	"errors"
	"testing"
)

// TestErrorsAtOnce: every call runs, each error lands at its call's index,
// and the calls overlap: each waits until all have started.
func TestErrorsAtOnce(t *testing.T) {
	const n = 8
	started := make(chan struct{}, n)
	all := make(chan struct{})
	odd := errors.New("odd")
	go func() {
		for range n {
			<-started
		}
		close(all)
	}()
	errs := Errors(n, func(i int) error {
		started <- struct{}{}
		<-all
		if i%2 == 1 {
			return odd
		}
		return nil
	})
	for i, err := range errs {
		if want := i%2 == 1; (err == odd) != want {
			t.Errorf("call %d: %v", i, err)
		}
	}
}
