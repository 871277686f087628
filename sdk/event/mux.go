package event

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
)

// Mux hands each event webhook to the handler for its type, once:
// with a [dedupe.Deduper], a delivery Divar repeats is acknowledged without
// running the handler again, and a step that cannot be taken back (a chat
// or bot message sent with divar.Client, or one wrapped in [dedupe.Once]) is
// made at most once, even when the store fails half-way. Set the handlers
// for the events the add-on subscribed to; an event with no handler (an
// unknown type included) is acknowledged and dropped, or given to Other
// when it is set.
//
// Use it from the strict server's Events method:
//
//	func (a *Addon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
//		return a.events.Handle(ctx, req.Body)
//	}
//
// A handler's error answers 500, so Divar delivers the event again later,
// unless the handler had made a step that cannot be taken back: then the
// event is acknowledged and reported unfinished (see Handle). Return nil
// for an event that can never succeed.
type Mux struct {
	NewMessage           func(ctx context.Context, e *Event, m *ChatMessage) error
	NewChatbotMessage    func(ctx context.Context, e *Event, m *ChatMessage) error
	UserAccessRevocation func(ctx context.Context, e *Event, r *UserAccessRevocation) error
	PostUpdate           func(ctx context.Context, e *Event, u *PostUpdate) error
	PaymentTransaction   func(ctx context.Context, e *Event, t *PaymentTransaction) error
	// Other receives the events no field above handles.
	Other func(ctx context.Context, e *Event) error
	// Dedupe, when set, makes the handler run once per event identity
	// ([Event.Key]) and its irreversible steps happen at most once. Use
	// [dedupe.NewMemory] for one replica and a shared store
	// (sdk/redisstore's Deduper) for several.
	Dedupe dedupe.Deduper
	// OnUnfinished, when set, is called with each event acknowledged as
	// unfinished: an irreversible step was started for it and is not known
	// to have finished, so it is not made again (err wraps
	// dedupe.ErrUnfinished and names the event's key). Count it, alert on
	// it, or check with the user; it is logged in any case.
	OnUnfinished func(ctx context.Context, e *Event, err error)
	// Logger receives an error line for each unfinished event, and an
	// info line for each duplicate delivery acknowledged without running
	// the handler; slog.Default() if nil.
	Logger *slog.Logger
	// Observer, when set, is told of each event and what became of it
	// (sdk/metrics counts them, sdk/tracing gives each a span). nil:
	// nothing is observed, at no cost.
	Observer Observer
}

// Handle runs the handler for e and answers the acknowledgement, by what
// the deduper found or recorded (see package dedupe's state machine):
//
//   - handled now, or a duplicate of an event handled already: 200 (a
//     duplicate is logged at info level with the event's key: its handler
//     did not run);
//   - a duplicate of an event another delivery is handling right now: 409,
//     so that Divar retries it later rather than count it as handled;
//   - the handler failed before any irreversible step, or the deduper
//     could not claim the event: 500, Divar delivers it again;
//   - an irreversible step was started and is not known to have finished
//     (by this delivery, which then failed or could not record the event
//     done, or by an earlier one that died): 200, logged at error level
//     with the event's key, and given to OnUnfinished. The step is never
//     made again.
func (m *Mux) Handle(ctx context.Context, e *Event) (Ack, error) {
	if m.Observer == nil {
		_, err := m.handle(ctx, e)
		return Ack{}, err
	}
	ctx, done := m.Observer.ObserveEvent(ctx, e)
	outcome, err := m.handle(ctx, e)
	done(outcome, err)
	return Ack{}, err
}

// handle is Handle without the observer: it says what became of e.
func (m *Mux) handle(ctx context.Context, e *Event) (Outcome, error) {
	run := m.handler(e)
	if run == nil {
		return Ignored, nil
	}
	key := e.Key()
	if m.Dedupe == nil || key == "" {
		if err := run(ctx); err != nil {
			return Failed, err
		}
		return Handled, nil
	}
	err := dedupe.Run(ctx, m.Dedupe, key, run)
	switch {
	case err == nil:
		return Handled, nil
	case errors.Is(err, dedupe.ErrDuplicate):
		m.logger().LogAttrs(ctx, slog.LevelInfo, "kenarkit: a duplicate delivery of an event handled already: acknowledged, the handler not run again",
			slog.String("event", key))
		return Duplicate, nil
	case errors.Is(err, dedupe.ErrInProgress):
		return InProgress, sdk.NewProblem(http.StatusConflict, "this event is being handled by another delivery; retry later")
	case errors.Is(err, dedupe.ErrUnfinished):
		m.unfinished(ctx, e, key, err)
		return Unfinished, nil
	}
	return Failed, err
}

// unfinished logs and reports an event acknowledged as unfinished.
func (m *Mux) unfinished(ctx context.Context, e *Event, key string, err error) {
	m.logger().LogAttrs(ctx, slog.LevelError, "kenarkit: an event's irreversible step was started and is not known to have finished; acknowledged, not made again",
		slog.String("event", key), slog.String("error", err.Error()))
	if m.OnUnfinished != nil {
		m.OnUnfinished(ctx, e, err)
	}
}

func (m *Mux) logger() *slog.Logger {
	if m.Logger == nil {
		return slog.Default()
	}
	return m.Logger
}

// handler returns the call that handles e, or nil when nothing does.
func (m *Mux) handler(e *Event) func(context.Context) error {
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
	case TypeNewMessage, TypeNewChatbotMessage:
		if m := e.Message(); m != nil && m.ID != "" {
			return string(e.Type) + ":" + m.ID
		}
	case TypePaymentTransaction:
		if t := e.Payment(); t != nil && t.ID != "" {
			return string(e.Type) + ":" + t.ID + ":" + string(t.State)
		}
	}
	return ""
}
