// Package landing is the post add-on of examples/postlanding: the init
// callback hands its context to the landing page through the landing URL
// (session.Handoff: sealed in the URL when it fits Divar's 2048 characters,
// kept in a session.Store under a random id otherwise), and the landing page
// opens it. The end-to-end test in e2e/ drives it in a real browser.
package landing

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/landing"
	"github.com/kenarkit/kenarkit/sdk/server"
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
	DrainDelay   time.Duration // serving on once the context is done: server.Config.DrainDelay
	Logger       *slog.Logger  // slog.Default() if nil
}

// NewServer returns the add-on: Divar's callbacks behind kenarkit's server,
// the landing page, and GET /healthz.
func NewServer(cfg Config) (*server.Server, error) {
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
	a := &Addon{landingURL: cfg.PublicURL + Path, sessions: sessions}
	e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: cfg.Keys, DrainDelay: cfg.DrainDelay, Logger: cfg.Logger},
		gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(a, nil))
	if err != nil {
		return nil, err
	}
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
	u, err := a.sessions.LandingURL(ctx, a.landingURL, req.Body)
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
	return event.Ack{}, nil
}

// Landing serves the page the init callback's URL opens: 200 with the
// context, 410 for an expired link, 400 for any other bad link.
func (a *Addon) Landing(c echo.Context) error {
	v, status, err := landing.Open(c, a.sessions)
	if err != nil {
		return err // the store failed: 500, logged
	}
	return landing.Write(c, status, landing.Page, v)
}
