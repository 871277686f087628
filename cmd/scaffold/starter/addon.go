package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/metrics"
	"github.com/kenarkit/kenarkit/sdk/redisstore"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/session"
	"github.com/kenarkit/kenarkit/sdk/tokens"

	"github.com/kenarkit/kenarkit/cmd/scaffold/starter/gen"
)

// Addon answers Divar's callbacks and acts for the users who consented.
// Each method already returns an answer Divar accepts; the TODOs say what
// to make of it. The consent loop (consent page, post add-on, renewed
// subscriptions) is in loop.go, the pages in landing.go.
type Addon struct {
	landing  string           // the landing page's URL: the public base URL and landingPath
	sessions *session.Handoff // carries a callback's context to the landing page
	events   *event.Mux       // hands each event webhook to its handler

	client   *divar.Client         // calls Divar; nil without KENAR_API_KEY
	consents *consent.Manager      // asks consent; nil without the OAuth settings
	tokens   *tokens.Keeper        // keeps the users' tokens; nil without the OAuth settings
	missing  []string              // the variables the consent loop needs that are unset
	follows  follows               // the posts followed for each user
	rdb      redis.UniversalClient // the shared Redis; nil without REDIS_URL
	metrics  *metrics.Metrics      // counts the subscriptions renewed; nil without METRICS_ADDR
	logger   *slog.Logger
	noKey    sync.Once // logs once that nothing can be sent
}

var _ gen.StrictServerInterface = (*Addon)(nil)

// sessionTTL is how long a landing URL stays valid after the init callback.
const sessionTTL = 30 * time.Minute

// NewAddon returns an Addon configured by cfg: landing URLs under
// cfg.PublicURL sealed with cfg.SessionKeys; with REDIS_URL, its state in
// Redis (shared by replicas), else in memory; with KENAR_API_KEY, a client
// of Divar's API; with the OAuth settings, a consent Manager and the
// Keeper of the tokens. Close it when done.
func NewAddon(cfg config, logger *slog.Logger) (*Addon, error) {
	a := &Addon{landing: cfg.PublicURL + landingPath, logger: logger}
	if cfg.obs != nil {
		a.metrics = cfg.obs.metrics
	}
	rdb, err := redisstore.Open(cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	a.rdb = rdb
	// In memory (nil: each room's default) unless Redis is configured.
	var (
		seen       dedupe.Deduper = dedupe.NewMemory(dedupe.MemoryConfig{})
		sessions   session.Store
		store      tokens.Store
		usedStates consent.UsedStates
	)
	a.follows = newMemoryFollows()
	if rdb != nil {
		rc := redisstore.Config{Observer: redisstore.Observers(observers[redisstore.Observer](cfg.obs)...)}
		seen = redisstore.NewDeduper(rdb, rc)
		sessions = redisstore.NewSessionStore(rdb, rc)
		store = redisstore.NewTokens(rdb, rc)
		usedStates = redisstore.NewUsedStates(rdb, rc)
		a.follows = newRedisFollows(rdb)
	}
	if a.sessions, err = session.New(session.Config{Keys: cfg.SessionKeys, TTL: sessionTTL, Store: sessions}); err != nil {
		return nil, err
	}
	a.events = a.newEventMux(seen)
	a.events.Observer = event.Observers(observers[event.Observer](cfg.obs)...)

	if cfg.APIKey != "" {
		a.client, err = divar.NewClient(divar.Config{APIKey: cfg.APIKey, BaseURL: cfg.APIURL, Logger: logger,
			Observer: divar.Observers(observers[divar.Observer](cfg.obs)...)})
		if err != nil {
			return nil, err
		}
	} else {
		a.missing = append(a.missing, addonenv.APIKeyVar)
		a.cannotSend()
	}
	if missing := cfg.OAuthMissing(); len(missing) > 0 {
		a.missing = append(a.missing, missing...)
		logger.Warn("the add-on cannot ask users' consent: set " + strings.Join(missing, " and "))
		return a, nil
	}
	sealer, err := seal.New(cfg.SessionKeys...)
	if err != nil {
		return nil, err
	}
	a.tokens, err = tokens.New(tokens.Config{
		ClientID: cfg.AppSlug, ClientSecret: cfg.OAuthSecret, TokenURL: cfg.TokenURL(),
		Sealer: sealer, Store: store,
		// Asked who granted: a landing link forwarded to another user is
		// refused. Without KENAR_API_KEY (nil) every consent is refused,
		// and the pages offer none (a.missing names it).
		API:       a.client,
		OnRefresh: a.resubscribe, OnRefreshRetry: cfg.refreshRetry,
		Observer: tokens.Observers(observers[tokens.Observer](cfg.obs)...),
		Logger:   logger, Now: cfg.now,
	})
	if err != nil {
		return nil, err
	}
	a.consents, err = consent.New(consent.Config{
		Tokens: a.tokens, Sealer: sealer, UsedStates: usedStates,
		RedirectURL: cfg.PublicURL + callbackPath, AuthURL: cfg.AuthURL(),
		OnGrant: a.finishConsent,
		Logger:  logger, Now: cfg.now,
		Observer: consentObserver(cfg.obs),
	})
	if err != nil {
		a.tokens.Close()
		return nil, fmt.Errorf("%s: the OAuth redirect address, $%s%s: %w", addonenv.PublicURLVar, addonenv.PublicURLVar, callbackPath, err)
	}
	return a, nil
}

// Close stops the retries of renewed subscriptions and lets go of Redis.
func (a *Addon) Close() error {
	if a.tokens != nil {
		a.tokens.Close()
	}
	if a.rdb != nil {
		return a.rdb.Close()
	}
	return nil
}

// OpenServerLink answers the init callback of open_server_link: Divar opens
// the URL it returns (on the web in a new tab, in the apps in a web view).
// The landing page asks the seller's consent to act on the post.
func (a *Addon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	// TODO: decide where the user lands. req.Body carries the post, the
	// conversation, the user's side and id; req.Body.Data() is the data you
	// put in the action (sdk.OpenServerLink(sdk.Data{…})).
	u, err := a.sessions.LandingURL(ctx, a.landing, req.Body)
	if err != nil {
		return nil, err
	}
	return sdk.OpenURL(u), nil
}

// DynamicAction answers the dynamic-action callback: an action for Divar to
// run, a text message for the user, or both. The buttons of the post add-on
// and of the chat bot's greeting send {"answer":"yes"} or {"answer":"no"}.
func (a *Addon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	// TODO: decide what happens. req.Body.Data() is the data you put in the
	// action (sdk.GetDynamicAction(sdk.Data{"answer": "yes"})).
	if req.Body.Data().String("answer") == "yes" {
		return sdk.Reply(sdk.OpenServerLink(sdk.Data{"answer": "yes"})).WithText(answerYes), nil
	}
	return sdk.TextMessage("درخواست شما دریافت شد."), nil
}

// answerYes is the dynamic action's text for {"answer":"yes"}.
const answerYes = "بسیار خب، بفرمایید."

// Events receives the event webhooks: those the add-on subscribed to for
// its users' posts (loop.go) and those set in the Kenar panel. a.events
// hands each to its handler once, even when Divar delivers it twice; a
// handler's error answers 500 and Divar delivers it again, unless the
// handler had sent a message: a message is sent at most once per event,
// even when Redis dies half-way (see greet).
func (a *Addon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return a.events.Handle(ctx, req.Body)
}

// newEventMux says which handler gets which event. TODO: set the handlers
// of the other events you follow; those without one are acknowledged and
// dropped.
func (a *Addon) newEventMux(seen dedupe.Deduper) *event.Mux {
	return &event.Mux{
		Dedupe:            seen,
		NewChatbotMessage: a.greet,
		NewMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
			// TODO: a message in a conversation about a followed post.
			return nil
		},
		PostUpdate: func(ctx context.Context, e *event.Event, u *event.PostUpdate) error {
			// TODO: a followed post changed (published, edited, deleted).
			return nil
		},
		UserAccessRevocation: a.forgetUser,
		// An event whose message may have gone out but is not known to
		// have (Divar answered 5xx, Redis died before it was recorded
		// done) is acknowledged, never sent again, and logged at error
		// level with its key. TODO: set OnUnfinished to count or alert.
		Logger: a.logger,
	}
}

// greeting is the chat bot's answer to /start.
const greeting = "سلام! می‌خواهید ادامه دهیم؟"

// greet answers a user who opens the chat bot (/start …) with a greeting
// and yes/no buttons, whose taps arrive as dynamic actions. The greeting is
// sent at most once per /start: the event.Mux's deduper records it started
// (in Redis with REDIS_URL) before a.client sends it, and a delivery that
// finds it started never sends it again. A greeting not sent for a passing
// reason (Divar's rate limit, Redis down) fails the event, which Divar
// delivers again; one Divar refused for good (the user blocked the bot, a
// wrong key or permission) is logged and the event acknowledged.
func (a *Addon) greet(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
	start, ok := sdk.ParseStart(m.Text)
	if !ok || m.Conversation == nil {
		return nil // TODO: answer the user's other messages
	}
	if a.client == nil {
		a.cannotSend()
		return nil
	}
	msg := sdk.BotText(greeting, sdk.Row(
		sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
		sdk.Button("خیر", sdk.GetDynamicAction(sdk.Data{"answer": "no"})),
	))
	_, err := a.client.SendBotMessage(ctx, m.Conversation.ID, msg)
	if err != nil && refusedForGood(err) {
		a.logger.LogAttrs(ctx, slog.LevelError, "Divar refused the chat bot's greeting",
			slog.String("touchpoint", string(start.Touchpoint)), slog.String("error", err.Error()))
		return nil
	}
	if err != nil {
		return fmt.Errorf("the chat bot's greeting: %w", err)
	}
	return nil
}

// refusedForGood reports whether the message was refused for what it is
// (by the sdk before sending, or by Divar with a 4xx other than a 408 or a
// 429): another delivery would be refused again.
func refusedForGood(err error) bool {
	var refused *divar.APIError
	if errors.As(err, &refused) {
		return refused.StatusCode/100 == 4 && refused.StatusCode != http.StatusTooManyRequests && refused.StatusCode != http.StatusRequestTimeout
	}
	return errors.Is(err, sdk.ErrInvalidAnswer)
}

// cannotSend logs, once per process, why the add-on sends nothing.
func (a *Addon) cannotSend() {
	a.noKey.Do(func() {
		a.logger.Warn(addonenv.APIKeyVar + " is not set: the add-on cannot send anything to Divar (chat-bot answers, post add-ons); set it to the app's API key from the Kenar panel")
	})
}
