package main

import (
	"bytes"
	_ "embed"
	"errors"
	"html/template"
	"net/http"
	"sort"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/session"
	"github.com/labstack/echo/v4"
)

// landingPath is where the init callback sends the user.
const landingPath = "/landing"

//go:embed landing.html
var landingHTML string

var landingPage = template.Must(template.New("landing").Parse(landingHTML))

// landingView is what the page shows.
type landingView struct {
	Session session.Landing
	Data    [][2]string // extra_data, sorted by key
	Problem string      // set when the link is unusable
}

// Landing serves the page a user lands on after the init callback. A
// tampered, expired or missing link gets a page saying so, with a 4xx.
func (a *Addon) Landing(c echo.Context) error {
	var s session.Landing
	err := a.sessions.Open(c.Request().Context(), c.QueryParam(session.Param), &s)
	view, status := landingView{Session: s}, http.StatusOK
	switch {
	case err == nil:
		view.Data = sortedData(s.Data.Map())
	case errors.Is(err, session.ErrExpired):
		view.Problem, status = "این پیوند منقضی شده است. لطفاً دوباره از دیوار وارد شوید.", http.StatusGone
		view.Session.ReturnTo = sdk.CompletionURL
	case errors.Is(err, session.ErrInvalid):
		view.Problem, status = "این پیوند معتبر نیست. لطفاً دوباره از دیوار وارد شوید.", http.StatusBadRequest
		view.Session.ReturnTo = sdk.CompletionURL
	default:
		return err // the session store failed: 500
	}
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
	_, err = body.WriteTo(c.Response())
	return err
}

func sortedData(d sdk.Data) [][2]string {
	out := make([][2]string, 0, len(d))
	for k := range d {
		v, err := sdk.MarshalAnswer(d[k])
		if s, ok := d[k].(string); ok {
			v, err = []byte(s), nil
		}
		if err == nil {
			out = append(out, [2]string{k, string(v)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
