package divar

import (
	"context"
	"sync"
	"time"
)

// deadlines bounds each attempt of a client's calls by Config.Timeout
// with one timer for the whole client instead of one per attempt.
//
// A timer per attempt (context.WithTimeout) is added to the runtime's
// timer heap ahead of everything else there, and the runtime wakes
// another thread to watch it: on every call, which over loopback cost a
// send more than its instructions (docs/BENCHMARKS.md, fifth pass).
// Every attempt has the same timeout, so
// attempts end in the order they start: they wait in that order, and the
// one timer is set for the first's deadline only when it is not already
// set for an earlier time. It then fires about once per Timeout while
// calls are made, cancels the attempts past their deadline (their error
// is context.DeadlineExceeded, as a context.WithTimeout's) and is set again
// for the next one.
type deadlines struct {
	timeout time.Duration
	now     func() time.Time
	// arm sets the timer to call fire after d, with mu held; tests
	// replace it and call fire themselves.
	arm func(d time.Duration)

	mu          sync.Mutex
	first, last *attemptCtx // in flight, in the order they started
	timer       *time.Timer
	armed       bool // the timer is set, for first's deadline or earlier
}

func newDeadlines(timeout time.Duration) *deadlines {
	d := &deadlines{timeout: timeout, now: time.Now}
	d.arm = func(after time.Duration) {
		if d.timer == nil {
			d.timer = time.AfterFunc(after, d.fire)
		} else {
			d.timer.Reset(after)
		}
	}
	return d
}

// attemptCtx is an attempt's context: its call's context with the
// attempt's deadline. Its own cancel (context.WithCancelCause) is a
// context net/http knows, which it watches without a goroutine.
type attemptCtx struct {
	context.Context
	cancel     context.CancelCauseFunc
	deadline   time.Time
	prev, next *attemptCtx
}

func (a *attemptCtx) Deadline() (time.Time, bool) { return a.deadline, true }

// Err is context.DeadlineExceeded once the attempt is past its deadline,
// as for a context.WithTimeout.
func (a *attemptCtx) Err() error {
	err := a.Context.Err()
	if err == context.Canceled && context.Cause(a.Context) == context.DeadlineExceeded {
		return context.DeadlineExceeded
	}
	return err
}

// start returns the context of an attempt made within ctx, and the
// attempt to end (d.end) once it is over. A ctx whose own deadline comes
// first is returned as it is, with a nil attempt.
func (d *deadlines) start(ctx context.Context) (context.Context, *attemptCtx) {
	if cd, ok := ctx.Deadline(); ok && !cd.After(d.now().Add(d.timeout)) {
		return ctx, nil
	}
	inner, cancel := context.WithCancelCause(ctx)
	a := &attemptCtx{Context: inner, cancel: cancel}
	d.mu.Lock()
	// Read under mu, so that the attempts in flight stay in the order of
	// their deadlines, which fire relies on.
	a.deadline = d.now().Add(d.timeout)
	if d.last == nil {
		d.first = a
	} else {
		d.last.next, a.prev = a, d.last
	}
	d.last = a
	if !d.armed {
		d.armed = true
		d.arm(d.timeout)
	}
	d.mu.Unlock()
	return a, a
}

// end removes a (nil: none) from the attempts in flight and cancels it.
func (d *deadlines) end(a *attemptCtx) {
	if a == nil {
		return
	}
	d.mu.Lock()
	d.remove(a)
	d.mu.Unlock()
	a.cancel(context.Canceled)
}

func (d *deadlines) remove(a *attemptCtx) {
	if a.prev == nil && d.first != a {
		return // removed already
	}
	if a.prev == nil {
		d.first = a.next
	} else {
		a.prev.next = a.next
	}
	if a.next == nil {
		d.last = a.prev
	} else {
		a.next.prev = a.prev
	}
	a.prev, a.next = nil, nil
}

// fire cancels the attempts past their deadline and sets the timer for
// the next attempt's, if one is in flight.
func (d *deadlines) fire() {
	d.mu.Lock()
	now := d.now()
	var over []*attemptCtx
	for d.first != nil && !d.first.deadline.After(now) {
		a := d.first
		d.remove(a)
		over = append(over, a)
	}
	d.armed = d.first != nil
	if d.armed {
		d.arm(d.first.deadline.Sub(now))
	}
	d.mu.Unlock()
	for _, a := range over {
		a.cancel(context.DeadlineExceeded)
	}
}
