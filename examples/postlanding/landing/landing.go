// Package landing is the post add-on of examples/postlanding: the init
// callback seals its context into the landing URL, and the landing page
// opens it, so no server-side store is needed and any replica can serve the
// page. The end-to-end test in e2e/ drives it in a real browser.
package landing

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/session"
	"github.com/labstack/echo/v4"
)

// Path is where the init callback sends the user.
const Path = "/landing"

// DefaultTTL is how long a landing URL stays valid.
const DefaultTTL = 30 * time.Minute

// Config configures [NewServer].
type Config struct {
	Keys        []string      // identification keys; required
	PublicURL   string        // the add-on's public base URL, no trailing slash; required
	SessionKeys [][]byte      // sealer keys, newest first; nil: a random key
	TTL         time.Duration // DefaultTTL if 0
	Logger      *slog.Logger  // slog.Default() if nil
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
	sessions, err := session.NewSealer(cfg.SessionKeys...)
	if err != nil {
		return nil, err
	}
	e, err := sdk.NewServer(sdk.ServerConfig{Spec: gen.GetSwagger, Keys: cfg.Keys, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	a := &Addon{publicURL: cfg.PublicURL, sessions: sessions, ttl: cfg.TTL}
	gen.RegisterHandlers(e, gen.NewStrictHandler(a, nil))
	e.GET(Path, a.Landing)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	return e, nil
}

// Addon answers Divar's callbacks and serves the landing page.
type Addon struct {
	publicURL string
	sessions  *session.Sealer
	ttl       time.Duration
}

var _ gen.StrictServerInterface = (*Addon)(nil)

// Session is what the init callback hands to the landing page, sealed in
// its URL.
type Session struct {
	PostToken      string       `json:"p,omitempty"`
	ConversationID string       `json:"c,omitempty"`
	UserSide       sdk.UserSide `json:"s,omitempty"`
	UserID         string       `json:"u,omitempty"`
	Source         sdk.Source   `json:"o,omitempty"`
	Data           sdk.Data     `json:"d,omitempty"`
	ReturnTo       string       `json:"r"`
}

// OpenServerLink answers the init callback with the landing URL carrying
// the callback's context.
func (a *Addon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	b := req.Body
	token, err := a.sessions.Seal(Session{
		PostToken:      b.PostToken,
		ConversationID: b.ConversationID,
		UserSide:       b.UserSide.Normalize(),
		UserID:         b.UserID,
		Source:         b.Source.Normalize(),
		Data:           b.Data().Map(),
		ReturnTo:       b.ReturnTo(),
	}, a.ttl)
	if err != nil {
		return nil, err // an extra_data too large for a URL: 500, logged
	}
	return sdk.OpenURL(a.publicURL + Path + "?s=" + token), nil
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
	Session Session
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
	var s Session
	err := a.sessions.Open(c.QueryParam("s"), &s)
	v, status := view{Session: s}, http.StatusOK
	switch {
	case err == nil:
		v.Data = sortedData(s.Data)
	case errors.Is(err, session.ErrExpired):
		v.Problem, status = ProblemExpired, http.StatusGone
		v.Session.ReturnTo = sdk.CompletionURL
	default:
		v.Problem, status = ProblemInvalid, http.StatusBadRequest
		v.Session.ReturnTo = sdk.CompletionURL
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

func sortedData(d sdk.Data) [][2]string {
	out := make([][2]string, 0, len(d))
	for k, x := range d {
		s, ok := x.(string)
		if !ok {
			b, err := sdk.MarshalAnswer(x)
			if err != nil {
				continue
			}
			s = string(b)
		}
		out = append(out, [2]string{k, s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
