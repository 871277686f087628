package main

import (
	"bytes"
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
	"github.com/kenarkit/kenarkit/sdk/session"
)

// landingPath is where the init callback sends the user.
const landingPath = "/landing"

//go:embed landing.html
var landingHTML string

var landingPage = template.Must(template.New("landing").Parse(landingHTML))

// pageView is what the page shows.
type pageView struct {
	Session session.Landing
	Data    [][2]string // extra_data, sorted by key, as sent (session.Landing.DataFields)
	Problem string      // set when the link is unusable

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
	var s session.Landing
	err := a.sessions.Open(c.Request().Context(), c.QueryParam(session.Param), &s)
	view, status := pageView{Session: s}, http.StatusOK
	switch {
	case err == nil:
		view.Data = s.DataFields()
		if s.UserSide != sdk.UserSideDemand { // a buyer is not asked to consent for the seller's post
			status, err = a.offerConsent(c, &view, s.UserID, s.PostToken, s.ReturnTo)
			if err != nil {
				return err
			}
		}
	case errors.Is(err, session.ErrExpired):
		view.Problem, status = "این پیوند منقضی شده است. لطفاً دوباره از دیوار وارد شوید.", http.StatusGone
		view.Session = backToDivar()
	case errors.Is(err, session.ErrInvalid):
		view.Problem, status = "این پیوند معتبر نیست. لطفاً دوباره از دیوار وارد شوید.", http.StatusBadRequest
		view.Session = backToDivar()
	default:
		return err // the session store failed: 500
	}
	return a.render(c, status, view)
}

// Start serves the direct link: Divar opens it with the post's token and
// its completion address in the query (kenar-docs
// docs/flow/touchpoints.md), and the page asks the seller's consent.
func (a *Addon) Start(c echo.Context) error {
	post := c.QueryParam("post_token")
	view := pageView{Session: session.Landing{PostToken: post, ReturnTo: trustedCompletion(c.QueryParam("completion_url"))}}
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
		view.Problem = "این پیوند آگهی معتبری را نام نمی‌برد. لطفاً دوباره از دیوار وارد شوید."
		view.Session = backToDivar()
		return http.StatusBadRequest, nil
	}
	if err != nil {
		return 0, err
	}
	view.ConsentURL = u
	return http.StatusOK, nil
}

// backToDivar is the page's context when the link told nothing usable.
func backToDivar() session.Landing { return session.Landing{ReturnTo: sdk.CompletionURL} }

// render writes the page with status.
func (a *Addon) render(c echo.Context, status int, view pageView) error {
	var body bytes.Buffer // rendered whole, so a template error is a clean 500
	if err := landingPage.Execute(&body, view); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer") // the URL carries the session
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	_, err := body.WriteTo(c.Response())
	return err
}
