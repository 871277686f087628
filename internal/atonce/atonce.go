// Package atonce runs calls at the same time, for the races the
// conformance suites of the state rooms hold stores to.
package atonce

import "sync"

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
