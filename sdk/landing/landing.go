// Package landing is the page an add-on opens for a user who came from
// Divar: the init callback's URL lands on it with the callback's context
// ([session.Handoff]). [Open] reads that context from the link, [Page] is
// the page (Persian, right to left, readable in Divar's in-app browser),
// which an add-on extends by redefining its blocks, and [Write] serves it
// with the headers that keep the link's session from leaking.
//
//	var page = template.Must(template.Must(landing.Page.Clone()).Parse(`{{define "more"}}…{{end}}`))
//
//	func (a *Addon) Landing(c echo.Context) error {
//		v, status, err := landing.Open(c, a.sessions)
//		if err != nil {
//			return err // the session store failed: 500
//		}
//		return landing.Write(c, status, page, v)
//	}
package landing

import (
	"bytes"
	_ "embed"
	"errors"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/session"
)

//go:embed page.html
var pageHTML string

// Page is the landing page, executed with a [View] (or a struct embedding
// one). It shows the context Divar sent, or the View's Problem, and a
// button back to Divar. Clone it and redefine its blocks to extend it:
// "title" (the document's title), "style" (CSS rules added to the page's),
// "more" (shown after the context) and "actions" (the buttons at the
// bottom; the way back has id "back").
var Page = template.Must(template.New("landing").Parse(pageHTML))

// View is what [Page] shows.
type View struct {
	Session session.Landing
	Data    [][2]string // the action's data, sorted by key, as sent (session.Landing.DataFields)
	Problem string      // set when the link is unusable: the page says so
}

// The problems of a link [Open] refuses, as the page shows them.
const (
	ProblemExpired = "این پیوند منقضی شده است. لطفاً دوباره از دیوار وارد شوید."
	ProblemInvalid = "این پیوند معتبر نیست. لطفاً دوباره از دیوار وارد شوید."
)

// Open opens the landing the request's link carries ([session.Param])
// with sessions and returns the page's view and status: 200 with the
// context; 410 for an expired link and 400 for any other bad link, with
// the Problem said and the way back to Divar's [sdk.CompletionURL]. It
// fails only when the session store does.
func Open(c echo.Context, sessions *session.Handoff) (View, int, error) {
	var s session.Landing
	err := sessions.Open(c.Request().Context(), c.QueryParam(session.Param), &s)
	switch {
	case err == nil:
		return View{Session: s, Data: s.DataFields()}, http.StatusOK, nil
	case errors.Is(err, session.ErrExpired):
		return Refused(ProblemExpired), http.StatusGone, nil
	case errors.Is(err, session.ErrInvalid):
		return Refused(ProblemInvalid), http.StatusBadRequest, nil
	}
	return View{}, 0, err
}

// Refused returns the view of a link that told nothing usable: problem,
// and the way back to Divar's [sdk.CompletionURL].
func Refused(problem string) View {
	return View{Session: session.Landing{ReturnTo: sdk.CompletionURL}, Problem: problem}
}

// Write executes page with v and writes it with status. The page is
// rendered whole first, so that a template error is a clean 500; it is
// sent with a Content-Security-Policy that allows nothing but its own
// inline style and images, no referrer (its URL carries the session), no
// sniffing and no caching.
func Write(c echo.Context, status int, page *template.Template, v any) error {
	var body bytes.Buffer
	if err := page.Execute(&body, v); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	_, err := body.WriteTo(c.Response())
	return err
}
