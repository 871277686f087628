package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/landing"
	"github.com/kenarkit/kenarkit/sdk/tokens"
	"github.com/kenarkit/kenarkit/sdk/widget"
)

// The consent loop: a seller arrives from their post (the landing page of
// the server link, or the direct link at startPath), consents on Divar's
// OAuth page, and comes back to callbackPath; the add-on then puts its
// post add-on on the post (postAddon), follows the post's events, and
// sends the seller to Divar's completion address. KeepFresh refreshes the
// tokens before they expire, and each refresh makes the subscriptions
// again (they lapse with the token they were made with).

// The paths of the consent loop, under PUBLIC_URL.
const (
	// startPath is the direct link: the Kenar panel's fallback URL, which
	// Divar opens with post_token and completion_url in the query
	// (kenar-docs docs/flow/touchpoints.md).
	startPath = "/divar/start"
	// callbackPath is the OAuth redirect address registered in the Kenar
	// panel.
	callbackPath = "/divar/oauth/callback"
)

// The keys of consent.Request.Data, which comes back with the grant.
const (
	dataPost = "post" // the post token
	dataDone = "done" // where to send the seller at the end; none: sdk.CompletionURL
)

// scopesFor are the permissions asked of the seller for a post: to put
// the add-on on it, to follow its conversations and its updates (each
// event type its own scope, docs/events/ReadMe.md), their user id (with
// which consent asks Divar who granted) with the revocation event that
// needs it, and a refresh token to go on doing so after the first hour.
func scopesFor(post string) []consent.Scope {
	return []consent.Scope{
		consent.PostAddonCreate(post),
		consent.ChatPostConversationsRead(post),
		consent.UserPostsGet,
		consent.UserID,
		consent.NotificationAccessRevocation,
		consent.OfflineAccess,
	}
}

// consentRequest is the consent asked of user (empty: the user Divar
// names after consent) for post, to end at done.
func consentRequest(user, post, done string) consent.Request {
	data := map[string]string{dataPost: post}
	if done != sdk.CompletionURL {
		data[dataDone] = done
	}
	return consent.Request{UserID: user, Scopes: scopesFor(post), Data: data}
}

// postAddon is what the add-on puts on a seller's post once they consent.
// Its buttons carry the seeds' two actions: a buyer's tap reaches the init
// callback (OpenServerLink) or the dynamic action (DynamicAction). TODO:
// make it yours.
func postAddon(post string) widget.PostAddon {
	return widget.Addon(
		widget.TitleRow("افزونهٔ آگهی"),
		widget.DescriptionRow("این بخش را افزونه به آگهی افزوده است."),
		widget.ButtonBar("شروع", sdk.OpenServerLink(sdk.Data{"post": post})),
		widget.ButtonBar("تأیید", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
	)
}

// followed are the events the add-on subscribes to for each post.
var followed = []sdk.SubscriptionType{sdk.SubscribeNewMessages, sdk.SubscribePostUpdates}

// errCannotSend: the consent came back, but without KENAR_API_KEY the
// add-on cannot act on it.
var errCannotSend = errors.New(addonenv.APIKeyVar + " is not set: the add-on cannot create the post add-on")

// finishConsent is consent's OnGrant: the seller consented, consent checked
// with Divar's API that they are the user the page was made for (from the
// direct link, asked who they are), and their token is stored. It creates
// the post add-on (an error answers Divar's 500 page and is logged),
// follows the post, and sends the seller on to Divar's completion address.
func (a *Addon) finishConsent(w http.ResponseWriter, r *http.Request, g *consent.Grant) error {
	ctx := r.Context()
	post := g.Data[dataPost]
	if a.client == nil {
		a.cannotSend()
		return errCannotSend
	}
	if err := a.client.CreatePostAddon(ctx, g.TokenSource, post, postAddon(post)); err != nil {
		return fmt.Errorf("creating the post add-on: %w", err)
	}
	if err := a.follows.Add(ctx, g.UserID, post); err != nil {
		a.logger.LogAttrs(ctx, slog.LevelError, "the followed post was not saved: its subscriptions will lapse with the token",
			slog.String("post", post), slog.String("error", err.Error()))
	}
	if err := a.subscribe(ctx, g.TokenSource, post); err != nil {
		a.logger.LogAttrs(ctx, slog.LevelWarn, "subscribing to the post's events failed; retried at the token's next refresh",
			slog.String("post", post), slog.String("error", err.Error()))
	}
	done := g.Data[dataDone]
	if done == "" {
		done = sdk.CompletionURL
	}
	http.Redirect(w, r, done, http.StatusSeeOther)
	return nil
}

// subscribe makes the post's subscriptions with the user's token: at
// consent, and again after each refresh, as the ones made with the old
// token lapse with it.
func (a *Addon) subscribe(ctx context.Context, ts oauth2.TokenSource, post string) error {
	var errs []error
	for _, t := range followed {
		if err := a.client.Subscribe(ctx, ts, sdk.EventSubscription{EventType: t, ResourceID: post}); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

// resubscribe is consent's OnRefresh: the user's token was refreshed, and
// the subscriptions made with the old one lapse with it, so each followed
// post is subscribed to again with the new token. An error makes consent
// retry with backoff, and log each failure.
func (a *Addon) resubscribe(ctx context.Context, user string, ts oauth2.TokenSource) error {
	if a.client == nil {
		a.cannotSend()
		return nil
	}
	posts, err := a.follows.Posts(ctx, user)
	if err != nil {
		return fmt.Errorf("reading the followed posts: %w", err)
	}
	var errs []error
	for _, post := range posts {
		err := a.subscribe(ctx, ts, post)
		if a.metrics != nil {
			a.metrics.SubscriptionRenewed(err)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("post %s: %w", post, err))
		}
	}
	return errors.Join(errs...)
}

// forgetUser handles USER_ACCESS_REVOCATION: the user's tokens are
// deleted and their posts no longer followed. A store failure answers 500,
// so Divar delivers the event again.
func (a *Addon) forgetUser(ctx context.Context, e *event.Event, r *event.UserAccessRevocation) error {
	if a.tokens != nil {
		if err := a.tokens.UserAccessRevocation(ctx, e, r); err != nil {
			return err
		}
	}
	return a.follows.Forget(ctx, r.UserID)
}

// KeepFresh checks the followed users' tokens at once and then every
// interval until ctx is done (refreshDue). The first check at start-up is
// what tells readiness whether SESSION_KEYS open the stored tokens.
func (a *Addon) KeepFresh(ctx context.Context, interval time.Duration) {
	if a.tokens == nil {
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		a.refreshDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// refreshDue asks the Keeper for the token of each followed user, which
// refreshes those near expiry (once across replicas) and so renews their
// subscriptions (resubscribe). Only a user who must consent again
// (tokens.ErrReconsent: Divar refused their current refresh token, or no
// token is stored) is no longer followed. A token that does not open
// (wrong SESSION_KEYS, or a tampered value), a store or Divar failure, or
// Divar refusing a token read after a store failure, forgets nothing: it
// is logged, and the user is checked again at the next pass.
func (a *Addon) refreshDue(ctx context.Context) {
	users, err := a.follows.Users(ctx)
	if err != nil {
		a.logger.LogAttrs(ctx, slog.LevelWarn, "the followed users could not be read: no token refreshed", slog.String("error", err.Error()))
		return
	}
	for _, user := range users {
		_, err := a.tokens.TokenSource(ctx, user).Token()
		switch {
		case err == nil:
		case errors.Is(err, tokens.ErrReconsent):
			a.logger.LogAttrs(ctx, slog.LevelInfo, "a user must consent again: their posts are no longer followed",
				slog.String("user", user), slog.String("reason", err.Error()))
			if err := a.follows.Forget(ctx, user); err != nil {
				a.logger.LogAttrs(ctx, slog.LevelWarn, "the user could not be forgotten", slog.String("user", user), slog.String("error", err.Error()))
			}
		case errors.Is(err, tokens.ErrUnopenable):
			a.logger.LogAttrs(ctx, slog.LevelError, "a user's token cannot be opened: check SESSION_KEYS (every replica needs the same keys, the old ones kept until their tokens lapse); the user is still followed and the token kept",
				slog.String("user", user), slog.String("error", err.Error()))
		default:
			a.logger.LogAttrs(ctx, slog.LevelWarn, "a user's token could not be refreshed; tried again at the next check",
				slog.String("user", user), slog.String("error", err.Error()))
		}
	}
}

// ready answers /readyz: 503 while draining (server.Ready), and 503 while the
// session keys open none of the stored tokens (the Keeper's Ready), so that
// a deploy with the wrong SESSION_KEYS takes no traffic and says why.
func (a *Addon) ready(draining echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if a.tokens != nil {
			if err := a.tokens.Ready(); err != nil {
				return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "SESSION_KEYS do not open the stored tokens (see the log)"})
			}
		}
		return draining(c)
	}
}

// OAuthCallback serves Divar's redirect back after consent: consent's
// Manager checks it and calls finishConsent.
func (a *Addon) OAuthCallback(c echo.Context) error {
	if a.consents == nil {
		return a.render(c, http.StatusServiceUnavailable, pageView{View: landing.Refused(""), Missing: a.missing})
	}
	a.consents.ServeHTTP(c.Response(), c.Request())
	return nil
}

// trustedCompletion is the direct link's completion_url when it is one
// of Divar's https addresses, and sdk.CompletionURL otherwise: anyone can
// open the direct link, and the add-on must not send a seller who just
// consented to an address a stranger chose.
func trustedCompletion(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || len(raw) > 2048 {
		return sdk.CompletionURL
	}
	if h := u.Hostname(); h != "divar.ir" && !strings.HasSuffix(h, ".divar.ir") {
		return sdk.CompletionURL
	}
	return raw
}
