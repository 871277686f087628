// Package landing is the post add-on of examples/postlanding: the init
// callback hands its context to the landing page through the landing URL
// (session.Handoff: sealed in the URL when it fits Divar's 2048 characters,
// kept in a session.Store under a random id otherwise), and the landing page
// opens it. The end-to-end test in e2e/ drives it in a real browser.
package landing

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/session"
	"github.com/labstack/echo/v4"
)

// Path is where the init callback sends the user.
const Path = "/landing"

// DefaultTTL is how long a landing URL stays valid.
const DefaultTTL = session.DefaultTTL

// Config configures [NewServer].
type Config struct {
	Keys         []string      // identification keys; required
	PublicURL    string        // the add-on's public base URL, no trailing slash; required
	SessionKeys  [][]byte      // session keys, newest first; nil: a random key
	SessionStore session.Store // contexts too long for a URL; nil: in memory
	TTL          time.Duration // DefaultTTL if 0
	Logger       *slog.Logger  // slog.Default() if nil
}

// NewServer returns the add-on: Divar's callbacks behind kenarkit's server,
// the landing page, and GET /healthz.
func NewServer(cfg Config) (*echo.Echo, error) {
	if cfg.PublicURL == "" {
		return nil, errors.New("landing: PublicURL is required")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	sessions, err := session.New(session.Config{Keys: cfg.SessionKeys, Store: cfg.SessionStore, TTL: cfg.TTL})
	if err != nil {
		return nil, err
	}
	e, err := sdk.NewServer(sdk.ServerConfig{Spec: gen.GetSpec, Keys: cfg.Keys, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	a := &Addon{landingURL: cfg.PublicURL + Path, sessions: sessions}
	gen.RegisterHandlers(e, gen.NewStrictHandler(a, nil))
	e.GET(Path, a.Landing)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	return e, nil
}

// Addon answers Divar's callbacks and serves the landing page.
type Addon struct {
	landingURL string
	sessions   *session.Handoff
}

var _ gen.StrictServerInterface = (*Addon)(nil)

// OpenServerLink answers the init callback with the landing URL carrying
// the callback's context.
func (a *Addon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	u, err := a.sessions.URL(ctx, a.landingURL, session.LandingOf(req.Body))
	if err != nil {
		return nil, err // the store failed: 500, logged
	}
	return sdk.OpenURL(u), nil
}

// DynamicAction starts the server-link flow from a chat button.
func (a *Addon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	return sdk.Reply(sdk.OpenServerLink(req.Body.Data().Map())).WithText("صفحهٔ آگهی را باز می‌کنیم."), nil
}

// Events acknowledges the event webhooks; this add-on subscribes to none.
func (a *Addon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return sdk.EventAck{}, nil
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("landing").Parse(pageHTML))

type view struct {
	Session session.Landing
	Data    [][2]string
	Problem string
}

// The texts of refused links.
const (
	ProblemExpired = "این پیوند منقضی شده است. لطفاً دوباره از دیوار وارد شوید."
	ProblemInvalid = "این پیوند معتبر نیست. لطفاً دوباره از دیوار وارد شوید."
)

// Landing serves the page the init callback's URL opens: 200 with the
// context, 410 for an expired link, 400 for any other bad link.
func (a *Addon) Landing(c echo.Context) error {
	var s session.Landing
	err := a.sessions.Open(c.Request().Context(), c.QueryParam(session.Param), &s)
	v, status := view{Session: s}, http.StatusOK
	switch {
	case err == nil:
		v.Data = s.DataFields()
	case errors.Is(err, session.ErrExpired):
		v.Problem, status = ProblemExpired, http.StatusGone
		v.Session.ReturnTo = sdk.CompletionURL
	case errors.Is(err, session.ErrInvalid):
		v.Problem, status = ProblemInvalid, http.StatusBadRequest
		v.Session.ReturnTo = sdk.CompletionURL
	default:
		return err // the store failed: 500, logged
	}
	var body bytes.Buffer // rendered whole, so a template error is a clean 500
	if err := page.Execute(&body, v); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer") // the URL carries the session
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	_, err = body.WriteTo(c.Response())
	return err
}
