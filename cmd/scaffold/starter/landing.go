package main

import (
	"context"
	_ "embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/landing"
	"github.com/kenarkit/kenarkit/sdk/session"
)

// landingPath is where the init callback sends the user.
const landingPath = "/landing"

//go:embed landing.html
var landingHTML string

// landingPage is kenarkit's landing page with the consent offer in its
// blocks.
var landingPage = template.Must(template.Must(landing.Page.Clone()).Parse(landingHTML))

// pageView is what the page shows: the landing's context, and the consent
// offer.
type pageView struct {
	landing.View

	// ConsentURL is the consent button's target, Divar's consent page;
	// "" when the page asks no consent.
	ConsentURL string
	// Missing names the unset variables the consent loop needs.
	Missing []string
	// Unavailable: the add-on cannot keep tokens now (Redis is down).
	Unavailable bool
}

// Landing serves the page a user lands on after the init callback, which
// asks a seller's consent to act on the post. A tampered, expired or
// missing link gets a page saying so, with a 4xx.
func (a *Addon) Landing(c echo.Context) error {
	v, status, err := landing.Open(c, a.sessions)
	if err != nil {
		return err // the session store failed: 500
	}
	view := pageView{View: v}
	if status == http.StatusOK && v.Session.UserSide != sdk.UserSideDemand { // a buyer is not asked to consent for the seller's post
		status, err = a.offerConsent(c, &view, v.Session.UserID, v.Session.PostToken, v.Session.ReturnTo)
		if err != nil {
			return err
		}
	}
	return a.render(c, status, view)
}

// Start serves the direct link: Divar opens it with the post's token and
// its completion address in the query (kenar-docs
// docs/flow/touchpoints.md), and the page asks the seller's consent.
func (a *Addon) Start(c echo.Context) error {
	post := c.QueryParam("post_token")
	view := pageView{View: landing.View{Session: session.Landing{PostToken: post, ReturnTo: trustedCompletion(c.QueryParam("completion_url"))}}}
	if post == "" {
		// Divar opens the direct link without a post from touchpoints
		// of no post: the page then asks no consent.
		return a.render(c, http.StatusOK, view)
	}
	status, err := a.offerConsent(c, &view, "", post, view.Session.ReturnTo)
	if err != nil {
		return err
	}
	return a.render(c, status, view)
}

// offerConsent sets the page's consent button for post, or says why there
// is none: a variable unset, the token store down, a post token that
// cannot be a scope. It returns the page's status.
func (a *Addon) offerConsent(c echo.Context, view *pageView, user, post, done string) (int, error) {
	if post == "" {
		return http.StatusOK, nil // nothing to consent to: a chat's page, say
	}
	if len(a.missing) > 0 {
		view.Missing = a.missing
		return http.StatusOK, nil
	}
	if a.rdb != nil {
		ctx, cancel := context.WithTimeout(c.Request().Context(), time.Second)
		err := a.rdb.Ping(ctx).Err()
		cancel()
		if err != nil {
			a.logger.LogAttrs(ctx, slog.LevelError, "Redis is unreachable: the consent page cannot offer consent", slog.String("error", err.Error()))
			view.Unavailable = true
			return http.StatusServiceUnavailable, nil
		}
	}
	u, err := a.consents.AuthCodeURL(c.Response(), c.Request(), consentRequest(user, post, done))
	if errors.Is(err, consent.ErrBadScope) {
		view.View = landing.Refused("این پیوند آگهی معتبری را نام نمی‌برد. لطفاً دوباره از دیوار وارد شوید.")
		return http.StatusBadRequest, nil
	}
	if err != nil {
		return 0, err
	}
	view.ConsentURL = u
	return http.StatusOK, nil
}

// render writes the page with status.
func (a *Addon) render(c echo.Context, status int, view pageView) error {
	return landing.Write(c, status, landingPage, view)
}
