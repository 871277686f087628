package main

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// The add-on's paths, under PUBLIC_URL.
const (
	// startPath asks the seller's consent to bump the post in post_token.
	startPath = "/bump/start"
	// callbackPath is the OAuth redirect address registered in the Kenar
	// panel.
	callbackPath = "/divar/oauth/callback"
	// resultPath shows a bump's outcome, by its payment id.
	resultPath = "/bump/result"
)

// The scopes a bump needs of the seller (kenar-docs docs/payment/pricing.md,
// docs/payment/reorder.md): the price first, then the bump.
var bumpScopes = []consent.Scope{"PAYMENT_ALL_POSTS_PRICING_READ", "PAYMENT_ALL_POSTS_REORDER"}

// The keys of consent.Request.Data, sealed in the OAuth state.
const (
	dataPost    = "post" // the post to bump
	dataPayment = "pay"  // the bump's payment id, made once when the seller asked
)

// Addon bumps sellers' posts. Build it with [NewAddon]; Close it when the
// server has stopped.
type Addon struct {
	publicURL string
	client    *divar.Client
	tokens    *tokens.Keeper
	consents  *consent.Manager
	events    *event.Mux
	bumps     *Ledger
	maxRials  int64
	wait      time.Duration // how long a bump's outcome is followed; 0: divar.DefaultPaymentWait
	logger    *slog.Logger
}

var _ gen.StrictServerInterface = (*Addon)(nil)

// NewAddon wires the add-on's client of Divar's API, its consent flow and
// its events. State is in memory: one replica (see the README for more).
func NewAddon(cfg config, logger *slog.Logger) (*Addon, error) {
	a := &Addon{publicURL: cfg.PublicURL, bumps: NewLedger(), maxRials: cfg.MaxRials, logger: logger}
	var err error
	if a.client, err = divar.NewClient(divar.Config{APIKey: cfg.APIKey, BaseURL: cfg.APIURL, Logger: logger}); err != nil {
		return nil, err
	}
	sealer, err := seal.New(cfg.SessionKeys...)
	if err != nil {
		return nil, err
	}
	a.tokens, err = tokens.New(tokens.Config{
		ClientID: cfg.AppSlug, ClientSecret: cfg.OAuthSecret, TokenURL: cfg.TokenURL(),
		Sealer: sealer, API: a.client, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	a.consents, err = consent.New(consent.Config{
		Tokens: a.tokens, Sealer: sealer,
		RedirectURL: cfg.PublicURL + callbackPath, AuthURL: cfg.AuthURL(),
		OnGrant: a.bump, Logger: logger,
	})
	if err != nil {
		a.tokens.Close()
		return nil, err
	}
	a.events = &event.Mux{
		PaymentTransaction: a.paymentEvent,
		// Each state of a transaction is handled once (event.Event.Key);
		// with several replicas share sdk/redisstore's Deduper.
		Dedupe: dedupe.NewMemory(dedupe.MemoryConfig{}),
		Logger: logger,
	}
	return a, nil
}

// Close stops the token keeper.
func (a *Addon) Close() error { return a.tokens.Close() }

// OpenServerLink answers the seller's tap on the add-on's button with the
// start link for the post.
func (a *Addon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	return sdk.OpenURL(a.publicURL + startPath + "?post_token=" + url.QueryEscape(req.Body.PostToken)), nil
}

// DynamicAction has nothing to do in this add-on: it answers a text.
func (a *Addon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	return sdk.TextMessage("برای نردبان کردن آگهی، دکمهٔ افزونه را روی آگهی بزنید."), nil
}

// Events hands Divar's events to their handlers, once each.
func (a *Addon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return a.events.Handle(ctx, req.Body)
}

// Start asks the seller's consent to bump the post. The bump's payment id
// is made here, once per request of the seller's, and travels sealed in
// the OAuth state, which Divar's redirect brings back only once.
func (a *Addon) Start(c echo.Context) error {
	post := c.QueryParam("post_token")
	if !validPostToken(post) {
		return a.page(c, http.StatusBadRequest, outcome{Title: "آگهی نامعتبر", Text: "نشانی آگهی درست نیست."})
	}
	return a.consents.Redirect(c.Response(), c.Request(), consent.Request{
		Scopes: bumpScopes,
		Data:   map[string]string{dataPost: post, dataPayment: divar.NewPaymentID()},
	})
}

// OAuthCallback is Divar's redirect after consent, handled by consent.
func (a *Addon) OAuthCallback(c echo.Context) error {
	a.consents.ServeHTTP(c.Response(), c.Request())
	return nil
}

// bump is consent's OnGrant: it bumps the post with the payment id made at
// the start (pricing checked first, retried with the same id, a lost
// answer looked up) and sends the seller to the outcome.
func (a *Addon) bump(w http.ResponseWriter, r *http.Request, g *consent.Grant) error {
	post, id := g.Data[dataPost], g.Data[dataPayment]
	a.bumps.Begin(id, post, g.UserID)
	// A seller who closes the page does not stop a payment half-way: it
	// runs to its outcome, bounded by the payment's wait.
	ctx := context.WithoutCancel(r.Context())
	t, err := a.client.Reorder(ctx, g.TokenSource, post, divar.Payment{ID: id, ExtraDetails: "bump " + post, MaxCostRials: a.maxRials, Wait: a.wait})
	if err != nil {
		a.logger.LogAttrs(ctx, slog.LevelWarn, "bump: the post was not bumped, or not yet known to be",
			slog.String("post", post), slog.String("payment_id", id), slog.String("error", err.Error()))
	}
	a.bumps.Paid(id, t, err)
	http.Redirect(w, r, a.publicURL+resultPath+"?id="+url.QueryEscape(id), http.StatusSeeOther)
	return nil
}

// paymentEvent matches a PAYMENT_TRANSACTION to the bump it reports.
func (a *Addon) paymentEvent(ctx context.Context, e *event.Event, t *event.PaymentTransaction) error {
	if !a.bumps.Report(t) {
		a.logger.LogAttrs(ctx, slog.LevelWarn, "bump: a payment event for no bump of this add-on",
			slog.String("payment_id", t.ID), slog.String("state", string(t.State)))
	}
	return nil
}

// Result shows a bump's outcome.
func (a *Addon) Result(c echo.Context) error {
	b, ok := a.bumps.Get(c.QueryParam("id"))
	if !ok {
		return a.page(c, http.StatusNotFound, outcome{Title: "پیدا نشد", Text: "این درخواست نردبان پیدا نشد."})
	}
	return a.page(c, http.StatusOK, b.outcome())
}

// validPostToken: Divar's post tokens are 8 to 10 letters and digits.
func validPostToken(s string) bool {
	if len(s) < 8 || len(s) > 10 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// Bump is one bump the add-on asked for.
type Bump struct {
	ID, Post, UserID string
	// State is the transaction's state as last known; "" while not.
	State     event.TransactionState
	CostRials int64
	// Err is why it did not complete: divar.ErrPaymentUnavailable,
	// ErrPriceAbove, ErrPaymentUnresolved (look it up later; a
	// PAYMENT_TRANSACTION event settles it) or another error.
	Err error
	At  time.Time
}

// Ledger is the add-on's record of its bumps, by payment id (a UUID, its
// letters' case ignored, as divar.Payment.Reports does). In memory: keep
// it in a database to settle bumps across restarts.
type Ledger struct {
	mu    sync.Mutex
	bumps map[string]*Bump // by strings.ToLower(id)
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{bumps: map[string]*Bump{}} }

// Begin records a bump about to be paid.
func (l *Ledger) Begin(id, post, userID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.bumps[strings.ToLower(id)]; !ok {
		l.bumps[strings.ToLower(id)] = &Bump{ID: id, Post: post, UserID: userID, At: time.Now()}
	}
}

// Paid records what divar.Client.Reorder returned.
func (l *Ledger) Paid(id string, t event.PaymentTransaction, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bumps[strings.ToLower(id)]
	if b == nil {
		return
	}
	b.Err = err
	var pe *divar.PaymentError
	if errors.As(err, &pe) && pe.Transaction != nil {
		t = *pe.Transaction
	}
	if t.State != "" {
		b.State, b.CostRials = t.State, int64(t.CostRials)
	}
}

// Report settles the bump a transaction (a PAYMENT_TRANSACTION event's)
// reports, matched by its payment id; false when it is no bump of the
// add-on's.
func (l *Ledger) Report(t *event.PaymentTransaction) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bumps[strings.ToLower(t.ID)]
	if b == nil {
		return false
	}
	b.State, b.CostRials = t.State, int64(t.CostRials)
	if t.State == event.TransactionCompleted || t.State == event.TransactionRefunded {
		b.Err = nil
	}
	return true
}

// Get returns the bump paid with the payment id.
func (l *Ledger) Get(id string) (Bump, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.bumps[strings.ToLower(id)]
	if !ok {
		return Bump{}, false
	}
	return *b, true
}

// outcome is what the result page says.
type outcome struct{ Title, Text string }

func (b Bump) outcome() outcome {
	switch {
	case b.State == event.TransactionCompleted:
		return outcome{"آگهی نردبان شد", "آگهی شما به بالای فهرست رفت. هزینه را افزونه پرداخت کرد."}
	case b.State == event.TransactionRefunded:
		return outcome{"هزینه برگشت داده شد", "نردبان انجام نشد و هزینه به کیف پول برگشت."}
	case errors.Is(b.Err, divar.ErrPaymentUnavailable):
		return outcome{"فعلاً ممکن نیست", "دیوار اکنون نردبان این آگهی را نمی‌پذیرد؛ کمی بعد دوباره تلاش کنید."}
	case errors.Is(b.Err, divar.ErrPriceAbove):
		return outcome{"فعلاً ممکن نیست", "هزینهٔ نردبان این آگهی بیش از سقف این افزونه است."}
	case errors.Is(b.Err, divar.ErrPaymentUnresolved), b.State == event.TransactionPending:
		return outcome{"در حال بررسی", "نتیجهٔ پرداخت هنوز معلوم نیست؛ دوباره پرداخت نمی‌شود. این صفحه را بعداً ببینید."}
	}
	return outcome{"نردبان انجام نشد", "پرداختی انجام نشد. دوباره تلاش کنید."}
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="fa" dir="rtl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;margin:0;padding:1.5rem;line-height:1.8}
a{display:block;margin-top:2rem;padding:.8rem;text-align:center;border-radius:.5rem;background:#a62626;color:#fff;text-decoration:none}</style>
</head><body>
<h1>{{.Title}}</h1>
<p>{{.Text}}</p>
<a href="{{.Completion}}">بازگشت به دیوار</a>
</body></html>`))

func (a *Addon) page(c echo.Context, status int, o outcome) error {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return pageTemplate.Execute(c.Response(), struct{ Title, Text, Completion string }{o.Title, o.Text, sdk.CompletionURL})
}
