package divar

import (
	"context"
	"time"

	"github.com/kenarkit/kenarkit/internal/expiry"
)

// deadlines bounds each attempt of a client's calls by Config.Timeout
// with one timer for the whole client (an expiry.Queue) instead of one
// per attempt.
//
// A timer per attempt (context.WithTimeout) is added to the runtime's
// timer heap ahead of everything else there, and the runtime wakes
// another thread to watch it: on every call, which over loopback cost a
// send more than its instructions (docs/BENCHMARKS.md, fifth pass). The
// queue's timer fires about once per Timeout while calls are made, and
// cancels the attempts past their deadline: their error is
// context.DeadlineExceeded, as a context.WithTimeout's.
type deadlines struct {
	timeout time.Duration
	due     *expiry.Queue[*attemptCtx]
}

func newDeadlines(timeout time.Duration) *deadlines {
	return &deadlines{timeout: timeout, due: expiry.NewQueue((*attemptCtx).timeUp)}
}

// attemptCtx is an attempt's context: its call's context with the
// attempt's deadline. Its own cancel (context.WithCancelCause) is a
// context net/http knows, which it watches without a goroutine.
type attemptCtx struct {
	context.Context
	cancel context.CancelCauseFunc
	entry  expiry.Entry[*attemptCtx] // in flight on the client's deadlines
}

func (a *attemptCtx) Deadline() (time.Time, bool) { return a.entry.Deadline(), true }

// Err is context.DeadlineExceeded once the attempt is past its deadline,
// as for a context.WithTimeout.
func (a *attemptCtx) Err() error {
	err := a.Context.Err()
	if err == context.Canceled && context.Cause(a.Context) == context.DeadlineExceeded {
		return context.DeadlineExceeded
	}
	return err
}

// timeUp cancels the attempt at its deadline.
func (a *attemptCtx) timeUp() { a.cancel(context.DeadlineExceeded) }

// start returns the context of an attempt made within ctx, and the
// attempt to end (d.end) once it is over. A ctx whose own deadline comes
// first is returned as it is, with a nil attempt.
func (d *deadlines) start(ctx context.Context) (context.Context, *attemptCtx) {
	due := d.due.Now().Add(d.timeout)
	if cd, ok := ctx.Deadline(); ok && !cd.After(due) {
		return ctx, nil
	}
	inner, cancel := context.WithCancelCause(ctx)
	a := &attemptCtx{Context: inner, cancel: cancel}
	d.due.Add(&a.entry, a, due)
	return a, a
}

// end takes a (nil: none) out of flight and cancels it.
func (d *deadlines) end(a *attemptCtx) {
	if a == nil {
		return
	}
	d.due.Remove(&a.entry)
	a.cancel(context.Canceled)
}
