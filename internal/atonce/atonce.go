// Package atonce runs calls at the same time, for the races the
// conformance suites of the state rooms hold stores to.
package atonce

import (
	"errors"
	"sync"
	"testing"
)

// Errors runs f(0), …, f(n-1) at once and returns their errors, in order.
func Errors(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	return errs
}

// OneWins runs f(0), …, f(n-1) at once and checks that exactly one returns
// nil and every other an error matching lost (errors.Is); it returns the
// winner's index, or -1 after failing tb.
func OneWins(tb testing.TB, n int, lost error, f func(i int) error) int {
	tb.Helper()
	winner, wins := -1, 0
	for i, err := range Errors(n, f) {
		switch {
		case err == nil:
			winner, wins = i, wins+1
		case !errors.Is(err, lost):
			tb.Errorf("call %d: %v, want nil or %v", i, err, lost)
		}
	}
	if wins != 1 {
		tb.Errorf("%d calls won, want 1", wins)
		return -1
	}
	return winner
}
