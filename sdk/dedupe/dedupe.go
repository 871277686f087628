// Package dedupe makes an add-on handle each event once, and make what
// cannot be taken back (a chat or bot message, a payment) at most once,
// even when Divar delivers the event twice, to two replicas, or again after
// the store died half-way. It holds the [Deduper] protocol that
// event.Mux follows through [Run], [Once] for the irreversible step,
// and [Memory], the in-process store for one replica; package
// sdk/redisstore has the store for several.
//
// # The state machine
//
// Each event identity (event.Event.Key) is in one of four states in the
// store:
//
//	(absent) ──Claim──▶ claimed ──Start──▶ started ──Commit──▶ done
//	    ▲                  │                  │
//	    └─────Release──────┴──────Release─────┘ (only when nothing was sent)
//
// The states and the transitions:
//
//   - claimed: a delivery holds the event and runs its handler; nothing
//     irreversible has happened yet. The claim lapses after the lease
//     (a minute by default), so a crashed replica's event is handled again.
//   - started: the handler is about to make, or has made, a step that cannot
//     be taken back ([Once]; divar.Client marks its chat and bot messages by
//     itself). It is recorded in the store before the step is made, and kept
//     for the TTL (a day by default), not the lease.
//   - done: the handler finished and the claim was committed; kept for the
//     TTL.
//   - Release removes the claim when the handler failed before any step,
//     or when every step it started is known not to have been made
//     ([ErrNotSent]): the next delivery runs the handler again.
//
// What a delivery finds decides what event.Mux answers Divar:
//
//	found                             Run returns        event.Mux answers
//	absent                            the handler's      200, or 500 if it failed before any step
//	claimed, or started within lease  ErrInProgress      409: Divar retries later
//	done                              ErrDuplicate       200, the handler is not run
//	started, lease lapsed             ErrUnfinished      200, logged and reported, never run again
//	the store failed at Claim         the store's error  500: nothing ran; Divar retries
//
// A delivery that made a step and then failed (the handler's error after
// the step, or a Commit the store refused) is answered 200 with
// [ErrUnfinished] reported: the started mark already keeps the step from
// being made again, and a redelivery could only find it. If recording
// "started" fails, the step is not made and the handler's error answers
// 500, so Divar delivers the event again.
//
// Hence a step made through [Once] happens at most once per event for as
// long as the store keeps its marks: the TTL, and with Redis, across a
// crash only if Redis persists every write (appendonly yes, appendfsync
// always); a Redis that comes back empty has forgotten the marks. [Memory]
// forgets them when the process ends. A step whose outcome is unknown (Divar
// answered 5xx, or the connection broke after the request was written) is
// never retried: the event is reported as unfinished instead. Where a
// duplicate is harmless, [AtLeastOnce] opts out: a failed step then fails
// the handler, the claim is released, and the redelivery runs it again.
package dedupe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The errors of the protocol. Compare with errors.Is.
var (
	// ErrDuplicate: the event was handled already.
	ErrDuplicate = errors.New("dedupe: event already handled")
	// ErrInProgress: another delivery of the event is handling it now.
	ErrInProgress = errors.New("dedupe: event being handled by another delivery")
	// ErrLeaseLost: a [Lease] was used after its claim lapsed and another
	// delivery claimed the event.
	ErrLeaseLost = errors.New("dedupe: event claim lapsed")
	// ErrUnfinished: a step that cannot be taken back was started for the
	// event and is not known to have finished; it is never made again. The
	// event is acknowledged, and the add-on should look at it (the error
	// names the event's key, and the cause when this delivery saw it).
	ErrUnfinished = errors.New("dedupe: an irreversible step was started and is not known to have finished; not made again")
	// ErrNotSent marks the error of a step known not to have been made (a
	// request refused before it was sent, a connection never made, a
	// refusal such as Divar's 429), so that the claim may be released and
	// the step made by a later delivery. Wrap an error with [NotSent].
	ErrNotSent = errors.New("dedupe: not sent")
)

// Deduper remembers which events were handled, in the state machine of
// the package documentation. Implementations must be safe for concurrent
// use; [Run] drives them.
type Deduper interface {
	// Claim claims the event key for this delivery. It fails with
	// ErrDuplicate (done), ErrInProgress (claimed, or started within the
	// lease), ErrUnfinished (started, lease lapsed) or a store error.
	Claim(ctx context.Context, key string) (Lease, error)
}

// Lease is a claim on one event, from [Deduper.Claim].
type Lease interface {
	// Start records, durably, that a step that cannot be taken back is
	// about to be made; starting again is a no-op. It fails with
	// ErrLeaseLost if the claim lapsed and another delivery holds the
	// event; on any error the step must not be made.
	Start(ctx context.Context) error
	// Commit records the event as handled (claimed or started → done).
	Commit(ctx context.Context) error
	// Release gives the claim up (claimed or started → absent), so that
	// the next delivery handles the event. Call it on a started lease only
	// when no step was made.
	Release(ctx context.Context) error
}

// The defaults of every store: [MemoryConfig] and sdk/redisstore's.
const (
	DefaultTTL        = 24 * time.Hour
	DefaultLease      = time.Minute
	DefaultMaxEntries = 100_000
)

// Run handles the event key once with d: it claims the event, runs handle
// with a context that carries the lease (for [Once]), and commits, or
// releases the claim when handle failed before any step that cannot be
// taken back. Its error says what to answer Divar (see the package
// documentation): nil, ErrDuplicate or ErrUnfinished (acknowledge),
// ErrInProgress (ask for a retry), or another error (fail: Divar delivers
// the event again).
func Run(ctx context.Context, d Deduper, key string, handle func(context.Context) error) error {
	lease, err := d.Claim(ctx, key)
	if err != nil {
		if errors.Is(err, ErrUnfinished) {
			return unfinished(key, err)
		}
		return err
	}
	s := &steps{lease: lease}
	herr := handle(context.WithValue(ctx, stepsKey{}, s))
	s.mu.Lock()
	s.over = true
	made := s.made
	s.mu.Unlock()
	ctx = context.WithoutCancel(ctx) // record the outcome even if Divar hung up
	switch {
	case herr != nil && !made:
		return errors.Join(herr, lease.Release(ctx)) // the next delivery runs it again
	case herr != nil:
		return unfinished(key, herr)
	}
	if err := lease.Commit(ctx); err != nil {
		if made {
			return unfinished(key, fmt.Errorf("the step was made; recording it done failed: %w", err))
		}
		return err
	}
	return nil
}

// unfinished is ErrUnfinished for key, with its cause.
func unfinished(key string, cause error) error {
	if errors.Is(cause, ErrUnfinished) {
		return fmt.Errorf("event %s: %w", key, cause)
	}
	return fmt.Errorf("event %s: %w: %w", key, ErrUnfinished, cause)
}

// steps is what [Run] hands [Once] through the handler's context.
type steps struct {
	lease Lease
	mu    sync.Mutex // held during a step: one step at a time per event
	start bool       // the store holds "started"
	made  bool       // a step may have been made
	over  bool       // Run has returned
}

type stepsKey struct{}

// Once makes step, which cannot be taken back, at most once for the event
// whose handler ctx belongs to ([Run], event.Mux): it records the event
// as started before calling step, and step is not called when that fails.
// A step that returns an error wrapped with [NotSent] is known not to have
// been made: if the handler then fails, the claim is released and a later
// delivery runs it again. Any other outcome counts as made, and no later
// delivery of the event makes a step again. Steps of one event run one at
// a time; a Once within step (such as divar.Client sending a message) is
// part of step.
//
// Outside an event's handler, or under [AtLeastOnce], Once just calls step.
func Once(ctx context.Context, step func(context.Context) error) error {
	s, _ := ctx.Value(stepsKey{}).(*steps)
	if s == nil {
		return step(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.over {
		return NotSent(errors.New("dedupe: the event's handler has returned: a step cannot be made after it"))
	}
	if !s.start {
		if err := s.lease.Start(ctx); err != nil {
			return NotSent(fmt.Errorf("dedupe: recording the step as started failed, so it was not made: %w", err))
		}
		s.start = true
	}
	// A Once within step (divar.Client's message in a wrapped step) is part
	// of this step: it runs as it is.
	err := step(context.WithValue(ctx, stepsKey{}, (*steps)(nil)))
	if !errors.Is(err, ErrNotSent) {
		s.made = true
	}
	return err
}

// AtLeastOnce returns ctx for steps whose repetition is harmless: [Once]
// (and divar.Client's messages) under it record nothing, so a handler that
// fails after such a step is run again, step included, by Divar's next
// delivery.
func AtLeastOnce(ctx context.Context) context.Context {
	return context.WithValue(ctx, stepsKey{}, (*steps)(nil))
}

// NotSent returns err marked as a step known not to have been made:
// errors.Is(err, ErrNotSent) holds, and its text and chain are err's. It
// returns nil for nil.
func NotSent(err error) error {
	if err == nil || errors.Is(err, ErrNotSent) {
		return err
	}
	return notSent{err}
}

type notSent struct{ error }

func (e notSent) Unwrap() error        { return e.error }
func (e notSent) Is(target error) bool { return target == ErrNotSent }
