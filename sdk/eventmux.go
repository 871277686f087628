package sdk

import (
	"context"
	"errors"
	"net/http"

	"github.com/kenarkit/kenarkit/sdk/dedupe"
)

// EventMux hands each event webhook to the handler for its type, once:
// with a [dedupe.Deduper], a delivery Divar repeats is acknowledged without
// running the handler again. Set the handlers for the events the add-on
// subscribed to; an event with no handler (an unknown type included) is
// acknowledged and dropped, or given to Other when it is set.
//
// Use it from the strict server's Events method:
//
//	func (a *Addon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
//		return a.events.Handle(ctx, req.Body)
//	}
//
// A handler's error answers 500, so Divar delivers the event again later;
// return nil for an event that can never succeed.
type EventMux struct {
	NewMessage           func(ctx context.Context, e *Event, m *ChatMessage) error
	NewChatbotMessage    func(ctx context.Context, e *Event, m *ChatMessage) error
	UserAccessRevocation func(ctx context.Context, e *Event, r *UserAccessRevocation) error
	PostUpdate           func(ctx context.Context, e *Event, u *PostUpdate) error
	PaymentTransaction   func(ctx context.Context, e *Event, t *PaymentTransaction) error
	// Other receives the events no field above handles.
	Other func(ctx context.Context, e *Event) error
	// Dedupe, when set, makes the handler run once per event identity
	// ([Event.Key]). Use [dedupe.NewMemory] for one replica and a shared
	// store (sdk/redisstore's Deduper) for several.
	Dedupe dedupe.Deduper
}

// Handle runs the handler for e and answers the acknowledgement. A
// duplicate of an event already handled is acknowledged; a duplicate of an
// event another delivery is handling right now is answered 409, so that
// Divar retries it later rather than count it as handled.
func (m *EventMux) Handle(ctx context.Context, e *Event) (EventAck, error) {
	run := m.handler(e)
	if run == nil {
		return EventAck{}, nil
	}
	key := e.Key()
	if m.Dedupe == nil || key == "" {
		return EventAck{}, run(ctx)
	}
	lease, err := m.Dedupe.Claim(ctx, key)
	switch {
	case errors.Is(err, dedupe.ErrDuplicate):
		return EventAck{}, nil
	case errors.Is(err, dedupe.ErrInProgress):
		return EventAck{}, NewProblem(http.StatusConflict, "this event is being handled by another delivery; retry later")
	case err != nil:
		return EventAck{}, err
	}
	if err := run(ctx); err != nil {
		// The next delivery must run the handler again: not a duplicate.
		return EventAck{}, errors.Join(err, lease.Release(context.WithoutCancel(ctx)))
	}
	return EventAck{}, lease.Commit(context.WithoutCancel(ctx))
}

// handler returns the call that handles e, or nil when nothing does.
func (m *EventMux) handler(e *Event) func(context.Context) error {
	for _, k := range eventKinds {
		if k.typ == e.Type {
			if run := k.handle(m, e); run != nil {
				return run
			}
			break
		}
	}
	if m.Other != nil {
		return func(ctx context.Context) error { return m.Other(ctx, e) }
	}
	return nil
}

// Key returns the identity of the event for deduplication: the message id
// of a chat message, and the transaction id and state of a payment (a state
// change is a new event). It is "" for the events that carry no identity
// of their own (a post update, an access revocation, an event of unknown
// type): those are never taken for duplicates, because the same payload may
// legitimately come again (PUBLISH, RETIRE, then PUBLISH again; a second
// revocation after access was granted anew). Their handlers should be
// idempotent, as setting a state is.
func (e *Event) Key() string {
	switch e.Type {
	case EventNewMessage, EventNewChatbotMessage:
		if m := e.Message(); m != nil && m.ID != "" {
			return string(e.Type) + ":" + m.ID
		}
	case EventPaymentTransaction:
		if t := e.Payment(); t != nil && t.ID != "" {
			return string(e.Type) + ":" + t.ID + ":" + string(t.State)
		}
	}
	return ""
}
