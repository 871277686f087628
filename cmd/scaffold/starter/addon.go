package main

import (
	"context"
	"time"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/session"

	"github.com/kenarkit/kenarkit/cmd/scaffold/starter/gen"
)

// Addon answers Divar's callbacks. Each method already returns an answer
// Divar accepts; the TODOs say what to make of it.
type Addon struct {
	publicURL string           // the add-on's public base URL, no trailing slash
	sessions  *session.Handoff // carries a callback's context to the landing page
	events    *sdk.EventMux    // hands each event webhook to its handler
}

var _ gen.StrictServerInterface = (*Addon)(nil)

// sessionTTL is how long a landing URL stays valid after the init callback.
const sessionTTL = 30 * time.Minute

// NewAddon returns an Addon whose landing URLs are under publicURL, sealed
// with sessionKeys (newest first; a random key when there is none). A
// context too long for a URL is kept in memory; with several replicas, give
// session.Config a shared Store (sdk/redisstore).
func NewAddon(publicURL string, sessionKeys [][]byte) (*Addon, error) {
	sessions, err := session.New(session.Config{Keys: sessionKeys, TTL: sessionTTL})
	if err != nil {
		return nil, err
	}
	return &Addon{publicURL: publicURL, sessions: sessions, events: newEventMux()}, nil
}

// OpenServerLink answers the init callback of open_server_link: Divar opens
// the URL it returns (on the web in a new tab, in the apps in a web view).
func (a *Addon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	// TODO: decide where the user lands. req.Body carries the post, the
	// conversation, the user's side and id; req.Body.Data() is the data you
	// put in the action (sdk.OpenServerLink(sdk.Data{…})).
	u, err := a.sessions.URL(ctx, a.publicURL+landingPath, session.LandingOf(req.Body))
	if err != nil {
		return nil, err
	}
	return sdk.OpenURL(u), nil
}

// DynamicAction answers the dynamic-action callback: an action for Divar to
// run, a text message for the user, or both.
func (a *Addon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	// TODO: decide what happens. req.Body.Data() is the data you put in the
	// action (sdk.GetDynamicAction(sdk.Data{"answer": "yes"})), for example:
	//
	//	if req.Body.Data().String("answer") == "yes" {
	//		return sdk.Reply(sdk.OpenServerLink(sdk.Data{"step": "start"})).WithText("بفرمایید"), nil
	//	}
	return sdk.TextMessage("درخواست شما دریافت شد."), nil
}

// Events receives the event webhooks the add-on subscribed to in the Kenar
// panel. a.events hands each to its handler once, even when Divar delivers
// it twice; a handler's error answers 500 and Divar delivers it again.
func (a *Addon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return a.events.Handle(ctx, req.Body)
}

// newEventMux says which handler gets which event. TODO: set the handlers of
// the events you subscribed to; the others are acknowledged and dropped.
// With several replicas, dedupe through Redis (sdk/redisstore) instead.
func newEventMux() *sdk.EventMux {
	return &sdk.EventMux{
		Dedupe: dedupe.NewMemory(dedupe.MemoryConfig{}),
		NewChatbotMessage: func(ctx context.Context, e *sdk.Event, m *sdk.ChatMessage) error {
			if start, ok := sdk.ParseStart(m.Text); ok {
				// TODO: greet the user; start.Touchpoint says where they came
				// from, start.PostToken() which post (if any).
				_ = start
			}
			return nil
		},
		UserAccessRevocation: func(ctx context.Context, e *sdk.Event, r *sdk.UserAccessRevocation) error {
			// TODO: forget what the add-on keeps about r.UserID.
			return nil
		},
	}
}
