package event

import (
	"context"

	"github.com/kenarkit/kenarkit/internal/observers"
)

// Observer is told of each event [Mux.Handle] receives and of
// what became of it: the hook through which sdk/metrics counts
// deliveries and sdk/tracing gives each event a span.
type Observer interface {
	// ObserveEvent is called before e is handled; the context it returns
	// is the one the handler runs in, and done is called once, with the
	// outcome and the error Handle returns (nil but for Failed and
	// InProgress).
	ObserveEvent(ctx context.Context, e *Event) (context.Context, func(Outcome, error))
}

// Outcome is what became of one delivery of an event.
type Outcome string

// The outcomes of a delivery, and what Divar is answered.
const (
	// Handled: the handler ran and succeeded (200).
	Handled Outcome = "handled"
	// Duplicate: the event was handled already; the handler did not
	// run (200).
	Duplicate Outcome = "duplicate"
	// InProgress: another delivery is handling the event; Divar is
	// asked to deliver it again later (409).
	InProgress Outcome = "in_progress"
	// Failed: the handler failed before any irreversible step, or
	// the deduper could not claim the event; Divar is asked to deliver it
	// again (500).
	Failed Outcome = "failed"
	// Unfinished: an irreversible step was started and is not known
	// to have finished; acknowledged, never made again (200).
	Unfinished Outcome = "unfinished"
	// Ignored: no handler takes the event's type (200).
	Ignored Outcome = "ignored"
)

// Observers returns an [Observer] that tells each of obs in
// turn (the metrics and the tracer); nil ones are skipped, and with none
// left it returns nil.
func Observers(obs ...Observer) Observer {
	return observers.Join(obs, func(all []Observer) Observer { return multiObserver(all) })
}

type multiObserver []Observer

func (m multiObserver) ObserveEvent(ctx context.Context, e *Event) (context.Context, func(Outcome, error)) {
	dones := make([]func(Outcome, error), len(m))
	for i, o := range m {
		ctx, dones[i] = o.ObserveEvent(ctx, e)
	}
	return ctx, func(outcome Outcome, err error) {
		for i := len(dones) - 1; i >= 0; i-- {
			dones[i](outcome, err)
		}
	}
}
