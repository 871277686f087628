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

// TestOneWins: one nil among the lost passes and names the winner; two
// winners, none, or another error fail.
func TestOneWins(t *testing.T) {
	lost := errors.New("lost")
	other := errors.New("other")
	for _, tc := range []struct {
		name   string
		errs   []error
		winner int
		fails  bool
	}{
		{"one winner", []error{lost, nil, lost}, 1, false},
		{"two winners", []error{nil, nil, lost}, -1, true},
		{"no winner", []error{lost, lost}, -1, true},
		{"another error", []error{nil, other}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			got := OneWins(rec, len(tc.errs), lost, func(i int) error { return tc.errs[i] })
			if got != tc.winner || rec.failed != tc.fails {
				t.Errorf("OneWins = %d, failed %v; want %d, %v", got, rec.failed, tc.winner, tc.fails)
			}
		})
	}
}

// recorder is a testing.TB that records a failure instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
