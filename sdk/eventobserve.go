package sdk

import (
	"context"

	"github.com/kenarkit/kenarkit/internal/observers"
)

// EventObserver is told of each event [EventMux.Handle] receives and of
// what became of it: the hook through which sdk/metrics counts
// deliveries and sdk/tracing gives each event a span.
type EventObserver interface {
	// ObserveEvent is called before e is handled; the context it returns
	// is the one the handler runs in, and done is called once, with the
	// outcome and the error Handle returns (nil but for EventFailed and
	// EventInProgress).
	ObserveEvent(ctx context.Context, e *Event) (context.Context, func(EventOutcome, error))
}

// EventOutcome is what became of one delivery of an event.
type EventOutcome string

// The outcomes of a delivery, and what Divar is answered.
const (
	// EventHandled: the handler ran and succeeded (200).
	EventHandled EventOutcome = "handled"
	// EventDuplicate: the event was handled already; the handler did not
	// run (200).
	EventDuplicate EventOutcome = "duplicate"
	// EventInProgress: another delivery is handling the event; Divar is
	// asked to deliver it again later (409).
	EventInProgress EventOutcome = "in_progress"
	// EventFailed: the handler failed before any irreversible step, or
	// the deduper could not claim the event; Divar is asked to deliver it
	// again (500).
	EventFailed EventOutcome = "failed"
	// EventUnfinished: an irreversible step was started and is not known
	// to have finished; acknowledged, never made again (200).
	EventUnfinished EventOutcome = "unfinished"
	// EventIgnored: no handler takes the event's type (200).
	EventIgnored EventOutcome = "ignored"
)

// EventObservers returns an [EventObserver] that tells each of obs in
// turn (the metrics and the tracer); nil ones are skipped, and with none
// left it returns nil.
func EventObservers(obs ...EventObserver) EventObserver {
	switch all := observers.NonNil(obs); len(all) {
	case 0:
		return nil
	case 1:
		return all[0]
	default:
		return multiEventObserver(all)
	}
}

type multiEventObserver []EventObserver

func (m multiEventObserver) ObserveEvent(ctx context.Context, e *Event) (context.Context, func(EventOutcome, error)) {
	dones := make([]func(EventOutcome, error), len(m))
	for i, o := range m {
		ctx, dones[i] = o.ObserveEvent(ctx, e)
	}
	return ctx, func(outcome EventOutcome, err error) {
		for i := len(dones) - 1; i >= 0; i-- {
			dones[i](outcome, err)
		}
	}
}
