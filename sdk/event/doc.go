// Package event holds the event webhooks Divar sends an add-on, and the
// [Mux] that hands each to its handler once.
//
// Divar POSTs an [Event] to the events URL of the Kenar panel when
// something the add-on subscribed to happens: a chat message
// ([TypeNewMessage], [TypeNewChatbotMessage]: a [ChatMessage]), a post
// changing state ([TypePostUpdate]: a [PostUpdate]), a user taking back
// their consent ([TypeUserAccessRevocation]), a payment
// ([TypePaymentTransaction]: a [PaymentTransaction]). The add-on answers
// each with an [Ack], usually through a Mux:
//
//	events := &event.Mux{
//		NewChatbotMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error { … },
//		Dedupe:            dedupe.NewMemory(),
//	}
//
//	func (a *Addon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
//		return a.events.Handle(ctx, req.Body)
//	}
//
// Divar documents events as experimental, so an event is never refused:
// an unknown type is acknowledged (or given to [Mux.Other]), and a member
// that does not fit its type is left unset, named by [Event.Mismatch] and
// kept in [Event.Raw].
//
// What an add-on sends about events (a subscription, sdk.EventSubscription;
// a chat message, sdk.ChatText) is in package sdk, with the other words an
// add-on sends; the generated server (package gen) binds its event schemas
// to the types of this package.
package event
