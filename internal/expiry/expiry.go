// Package expiry keeps many deadlines with one timer: a [Queue] holds
// the entries in flight in the order of their deadlines and sets its
// timer for the earliest only, and when the timer fires it expires every
// entry past its deadline and sets itself again for the next.
//
// It is for deadlines of one duration each, counted from when their
// entry starts: they are then added about in the order they come due, so
// that adding one is a step at the end of a list, and an entry that starts
// or ends does not touch the timer. A timer per entry (time.AfterFunc,
// context.WithTimeout) is added to the runtime's timer heap ahead of
// everything else there, and the runtime wakes another thread to watch
// it: on every request. The queue's timer fires about once per duration
// while entries end in time.
//
// sdk/server answers 503 for the handlers over their budget with one
// Queue a budget; sdk/divar bounds each attempt of a client's calls with
// one Queue a client.
package expiry

import (
	"sync"
	"time"
)

// Queue is the entries in flight, each with its deadline, and one timer
// for the earliest. At its deadline an entry is taken out of the queue
// and handed to the queue's expire function, outside the queue's lock.
// Its methods are safe for concurrent use.
type Queue[T any] struct {
	expire func(T)
	now    func() time.Time
	// set sets the timer to fire after d, with mu held: the real timer's
	// (setTimer), or nothing (NewManual: its caller fires the queue).
	set func(d time.Duration)

	mu         sync.Mutex
	head, tail *Entry[T]   // in flight, the earliest deadline first
	armed      time.Time   // when the timer fires; zero when it is not set
	timer      *time.Timer // calls Fire; made when first set
}

// Entry is an entry's place in a Queue: the caller keeps it in what it
// puts in the queue (a field of its own, not a pointer: no allocation),
// and hands it to Add and Remove. An Entry is in at most one Queue at a
// time; it may be added again once it is out.
type Entry[T any] struct {
	value      T
	deadline   time.Time
	prev, next *Entry[T]
	queued     bool
}

// Deadline is the entry's deadline, as given to Add.
func (e *Entry[T]) Deadline() time.Time { return e.deadline }

// NewQueue returns a Queue on the real clock that calls expire with each
// entry's value once its deadline has passed.
func NewQueue[T any](expire func(T)) *Queue[T] {
	q := &Queue[T]{expire: expire, now: time.Now}
	q.set = q.setTimer
	return q
}

// NewManual returns a Queue that reads the time from now and sets no
// timer: its caller calls Fire (a test, on a clock it moves; Armed says
// when the timer would fire).
func NewManual[T any](now func() time.Time, expire func(T)) *Queue[T] {
	return &Queue[T]{expire: expire, now: now, set: func(time.Duration) {}}
}

// Now is the time on the queue's clock: time.Now, or NewManual's now.
func (q *Queue[T]) Now() time.Time { return q.now() }

// Add puts e in flight, to be expired with value v at deadline. An entry
// whose deadline comes before others already in flight (it read the clock
// earlier but reached the queue later) goes before them: the queue stays
// in deadline order whatever the order of the calls. The timer is set
// only when it is not already set for deadline or earlier.
func (q *Queue[T]) Add(e *Entry[T], v T, deadline time.Time) {
	q.mu.Lock()
	e.value, e.deadline = v, deadline
	after := q.tail
	for after != nil && after.deadline.After(deadline) {
		after = after.prev // rarely more than one step back
	}
	e.prev, e.queued = after, true
	if after == nil {
		e.next, q.head = q.head, e
		// The timer is set no later than the head's deadline while an
		// entry is in flight: only a new head may need it earlier.
		if q.armed.IsZero() || deadline.Before(q.armed) {
			q.arm(deadline, q.now())
		}
	} else {
		e.next, after.next = after.next, e
	}
	if e.next == nil {
		q.tail = e
	} else {
		e.next.prev = e
	}
	q.mu.Unlock()
}

// Remove takes e out of flight and reports whether it was still there;
// if not, its deadline has passed and the queue has taken it to expire
// (the expire function may still be running, or about to).
func (q *Queue[T]) Remove(e *Entry[T]) bool {
	q.mu.Lock()
	queued := e.queued
	if queued {
		q.unlink(e)
	}
	q.mu.Unlock()
	return queued
}

func (q *Queue[T]) unlink(e *Entry[T]) {
	if e.prev == nil {
		q.head = e.next
	} else {
		e.prev.next = e.next
	}
	if e.next == nil {
		q.tail = e.prev
	} else {
		e.next.prev = e.prev
	}
	e.next, e.prev, e.queued = nil, nil, false
}

// Fire takes every entry whose deadline has passed out of flight, sets
// the timer for the earliest deadline left, if any, and then expires the
// entries taken, earliest first. The timer calls it; a manual queue's
// caller calls it itself. Firing before any deadline expires nothing.
func (q *Queue[T]) Fire() {
	var over []T
	q.mu.Lock()
	now := q.now()
	for q.head != nil && !now.Before(q.head.deadline) {
		e := q.head
		q.unlink(e)
		over = append(over, e.value)
	}
	q.armed = time.Time{}
	if q.head != nil {
		q.arm(q.head.deadline, now)
	}
	q.mu.Unlock()
	for _, v := range over {
		q.expire(v)
	}
}

// arm sets the timer to fire at deadline (it is now), with mu held.
func (q *Queue[T]) arm(deadline, now time.Time) {
	q.armed = deadline
	q.set(deadline.Sub(now))
}

// setTimer sets the real timer to call Fire after d, with mu held.
func (q *Queue[T]) setTimer(d time.Duration) {
	if q.timer == nil {
		q.timer = time.AfterFunc(d, q.Fire)
	} else {
		q.timer.Reset(d)
	}
}

// Armed is when the queue's timer fires, and whether it is set: it is set
// while an entry is in flight (or one was since it last fired).
func (q *Queue[T]) Armed() (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.armed, !q.armed.IsZero()
}
