package main

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"sync"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/labstack/echo/v4"
)

// Addon is the seed's scenario: it asks the yes/no question in chat, and
// answers the buttons' taps.
type Addon struct {
	publicURL string        // no trailing slash
	client    *divar.Client // Divar's API; nil without KENAR_API_KEY
	logger    *slog.Logger
	keys      []string   // the identification keys, for /ask
	events    *event.Mux // hands each event to its handler, once
	noClient  sync.Once  // logs once that nothing can be sent
}

// NewAddon returns the add-on, serving under publicURL. It sends through
// client; with a nil client it answers Divar's calls all the same, and
// logs once, when it first has something to send, why it cannot.
func NewAddon(publicURL string, keys []string, client *divar.Client, logger *slog.Logger) *Addon {
	a := &Addon{publicURL: publicURL, client: client, logger: logger, keys: keys}
	a.events = &event.Mux{
		NewChatbotMessage: a.chatbotMessage,
		// One replica: dedupe in memory (forgotten on a restart). With
		// several, or to keep "asked at most once" across restarts, share
		// a persistent deduper (sdk/redisstore's Deduper).
		Dedupe: dedupe.NewMemory(dedupe.MemoryConfig{}),
		// A start whose question may have gone out but is not known to
		// have is acknowledged, not asked again, and logged here.
		Logger: logger,
	}
	return a
}

var _ gen.StrictServerInterface = (*Addon)(nil)

// The texts the user sees in chat.
const (
	TextYes     = "عالی! صفحهٔ افزونه را برایتان باز می‌کنیم."
	TextNo      = "باشد، هر وقت خواستید دوباره دکمهٔ «بله» را بزنید."
	TextUnknown = "متوجه نشدیم؛ لطفاً یکی از دکمه‌های «بله» یا «خیر» را بزنید."
)

// ConfirmMessage is the chat message with the two buttons the add-on sends
// through Divar's chat-bot API (divar.Client.SendBotMessage): each button asks
// Divar to call the dynamic-action callback with its answer.
func ConfirmMessage() sdk.BotMessage {
	return sdk.BotText("آیا مایلید ادامه دهید؟", sdk.Row(
		sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
		sdk.Button("خیر", sdk.GetDynamicAction(sdk.Data{"answer": "no"})),
	))
}

// DynamicAction answers a button press.
func (a *Addon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	switch req.Body.Data().String("answer") {
	case "yes":
		// Divar calls OpenServerLink with this data, then opens its URL.
		return sdk.Reply(sdk.OpenServerLink(sdk.Data{"confirmed": true})).WithText(TextYes), nil
	case "no":
		return sdk.TextMessage(TextNo), nil
	}
	return sdk.TextMessage(TextUnknown), nil
}

// OpenServerLink answers the init callback that "yes" starts: the welcome
// page, naming the post when there is one.
func (a *Addon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	u := a.publicURL + "/welcome"
	if req.Body.PostToken != "" {
		u += "?post=" + req.Body.PostToken // a post token is [A-Za-z0-9], at most 10 characters
	}
	return sdk.OpenURL(u), nil
}

// Events receives the event webhooks: a chat-bot message (which arrives
// without a subscription) goes to chatbotMessage, once however often Divar
// delivers it; every other event is acknowledged and dropped. A handler's
// error answers 500, and Divar delivers the event again, unless the
// question may have been sent (see chatbotMessage).
func (a *Addon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return a.events.Handle(ctx, req.Body)
}

var welcome = template.Must(template.New("welcome").Parse(`<!doctype html>
<html lang="fa" dir="rtl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>خوش آمدید</title>
<style>body{font-family:system-ui,sans-serif;margin:0;padding:1.5rem;line-height:1.8}
a{display:block;margin-top:2rem;padding:.8rem;text-align:center;border-radius:.5rem;background:#a62626;color:#fff;text-decoration:none}</style>
</head><body>
<h1>خوش آمدید</h1>
<p>شما ادامه را انتخاب کردید{{with .Post}} (آگهی {{.}}){{end}}.</p>
<a href="{{.Completion}}">بازگشت به دیوار</a>
</body></html>`))

// Welcome is the page the user lands on after "yes".
func (a *Addon) Welcome(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return welcome.Execute(c.Response(), struct{ Post, Completion string }{c.QueryParam("post"), sdk.CompletionURL})
}
