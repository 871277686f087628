package playground

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"
)

// place is where a button was tapped: what Divar sends the add-on with it.
type place struct {
	source       sdk.Source
	touchpoint   sdk.Touchpoint
	side         sdk.UserSide
	conversation string
}

// The places of the page.
var (
	onPost   = place{source: sdk.SourcePostAddon, touchpoint: sdk.TouchpointDemandPost, side: sdk.UserSideDemand}
	onManage = place{source: sdk.SourcePostAddon, touchpoint: sdk.TouchpointMyPost, side: sdk.UserSideSupply}
	inBot    = place{source: sdk.SourceChat, touchpoint: sdk.TouchpointChat, side: sdk.UserSideDemand, conversation: BotConversation}
	inConv   = place{source: sdk.SourceChat, touchpoint: sdk.TouchpointChat, side: sdk.UserSideDemand, conversation: Conversation}
)

// Outcome is what Divar does after a tap: open a page, show a text, or
// show an error.
type Outcome struct {
	Open  string `json:"open,omitempty"`  // the page Divar opens
	Toast string `json:"toast,omitempty"` // the text Divar shows
	Error string `json:"error,omitempty"` // what went wrong, as Divar shows it
}

// call sends r to the add-on as Divar does, logs it with Divar's verdict,
// and returns the answer when Divar accepts it.
func (p *Playground) call(ctx context.Context, title string, r *divartest.Request) (*divartest.Response, error) {
	r.Key(p.cfg.Key)
	e := Entry{Inbound: true, Title: title, Call: "POST " + r.HTTPRequest("").URL.Path, Request: maskBody(r.JSON(), "application/json")}
	resp, err := divartest.Send(ctx, p.client, p.cfg.AddonURL, r)
	if err != nil {
		e.Verdict = "پاسخی نیامد (no answer): " + strings.TrimPrefix(err.Error(), "divartest: ")
		p.record(e)
		return nil, err
	}
	e.Status, e.Answer = resp.Status, maskBody(resp.Body, resp.Header.Get("Content-Type"))
	if err = p.checker.Check(r, resp); err != nil {
		e.Verdict = "دیوار نمی‌پذیرد (Divar would reject): " + strings.TrimPrefix(err.Error(), divartest.ErrRejected.Error()+": ")
	} else {
		e.OK, e.Verdict = true, "دیوار می‌پذیرد (Divar accepts)"
	}
	p.record(e)
	return resp, err
}

// Tap does what Divar does when a user taps a button carrying a at pl.
func (p *Playground) tap(ctx context.Context, a sdk.Action, pl place) Outcome {
	return p.perform(ctx, a, pl, 0)
}

// maxChain bounds dynamic actions answering dynamic actions.
const maxChain = 3

func (p *Playground) perform(ctx context.Context, a sdk.Action, pl place, depth int) Outcome {
	switch {
	case a.OpenDirectLink != "":
		if u, err := url.Parse(a.OpenDirectLink); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Outcome{Error: "دیوار این پیوند را باز نمی‌کند: open_direct_link must be an absolute http(s) URL"}
		}
		return Outcome{Open: a.OpenDirectLink}
	case a.OpenServerLink != nil:
		r := divartest.OpenServerLink().Source(pl.source).PostToken(Post).UserSide(pl.side).
			Data(a.OpenServerLink.Data).ReturnURL(p.url + "/")
		if pl.conversation != "" {
			r.ConversationID(pl.conversation)
		} else {
			r.Without("conversation_id")
		}
		resp, err := p.call(ctx, "شروع (open_server_link)", r)
		if err != nil {
			return Outcome{Error: failure(err)}
		}
		var answer sdk.OpenServerLinkResponse
		_ = json.Unmarshal(resp.Body, &answer)
		return Outcome{Open: answer.URL}
	case a.GetDynamicAction != nil:
		r := divartest.DynamicAction().Touchpoint(pl.touchpoint).PostToken(Post).UserSide(pl.side).
			Data(a.GetDynamicAction.Data)
		if pl.conversation != "" {
			r.ConversationID(pl.conversation)
		} else {
			r.Without("conversation_id")
		}
		resp, err := p.call(ctx, "اکشن پویا (get_dynamic_action)", r)
		if err != nil {
			return Outcome{Error: failure(err)}
		}
		var answer sdk.DynamicActionResponse
		_ = json.Unmarshal(resp.Body, &answer)
		out := Outcome{Toast: answer.TextMessage}
		if answer.Action != nil && depth < maxChain {
			next := p.perform(ctx, *answer.Action, pl, depth+1)
			out.Open, out.Error = next.Open, next.Error
			if next.Toast != "" {
				out.Toast = strings.TrimSpace(out.Toast + "\n" + next.Toast)
			}
		}
		return out
	case a.OpenPostPage != nil:
		return Outcome{Toast: "دیوار صفحهٔ آگهی " + a.OpenPostPage.PostToken + " را باز می‌کند."}
	case a.OpenPostManagePage != nil:
		return Outcome{Toast: "دیوار صفحهٔ مدیریت آگهی " + a.OpenPostManagePage.PostToken + " را باز می‌کند."}
	}
	return Outcome{Error: "این دکمه اکشنی ندارد (the button has no action)"}
}

// failure is what Divar shows the user when the add-on's answer fails.
func failure(err error) string {
	return "دیوار به کاربر خطا نشان می‌دهد: " + strings.TrimPrefix(strings.TrimPrefix(err.Error(), "divartest: "), divartest.ErrRejected.Error()+": ")
}

// chat sends a user's text as a chat-bot message (NEW_CHATBOT_MESSAGE) or
// a message in the conversation about the post (NEW_MESSAGE), each with a
// fresh message id, as Divar delivers it.
func (p *Playground) chat(text string, bot bool) {
	conv, t, kind := Conversation, "POST", event.TypeNewMessage
	if bot {
		conv, t, kind = BotConversation, "BOT", event.TypeNewChatbotMessage
	}
	p.mu.Lock()
	b := bubble{Mine: true, Text: text, At: time.Now()}
	if bot {
		p.bot = append(p.bot, b)
	} else {
		p.conv = append(p.conv, b)
	}
	p.version++
	p.mu.Unlock()
	r := divartest.Event(kind).Message(map[string]any{
		"id":           NewID(),
		"text":         text,
		"sent_at":      time.Now().UnixMicro(),
		"conversation": map[string]any{"id": conv, "type": t, "post_token": Post},
	})
	p.deliver("رویداد "+string(kind), r)
}

// event builds the event the events panel names, with a fresh identity:
// kind is POST_UPDATE, USER_ACCESS_REVOCATION, PAYMENT_TRANSACTION or
// CUSTOM (raw is then the whole body); detail is the post update's type
// or the payment's state.
func (p *Playground) event(kind, detail, raw string) (*divartest.Request, error) {
	switch event.Type(kind) {
	case event.TypePostUpdate:
		if detail == "" {
			detail = "PUBLISH"
		}
		return divartest.Event(event.TypePostUpdate).Set("post_update", map[string]any{"type": detail, "post": map[string]any{
			"token": Post, "category": "apartment-sell", "city": "tehran", "district": "vanak",
			"is_phone_hidden": false, "chat_enabled": true, "first_published_at": time.Now().UTC().Format(time.RFC3339),
		}}), nil
	case event.TypeUserAccessRevocation:
		p.oauth.Revoke(divartest.SeedUserID) // Divar withdraws the tokens, then tells the add-on
		return divartest.Event(event.TypeUserAccessRevocation), nil
	case event.TypePaymentTransaction:
		if detail == "" {
			detail = string(event.TransactionCompleted)
		}
		return divartest.Event(event.TypePaymentTransaction).Set("payment_transaction", map[string]any{
			"id": NewID(), "cost_rials": int64(1500000), "extra_details": "reorder " + Post,
			"state": detail, "type": string(event.TransactionReorder),
		}), nil
	case "CUSTOM":
		var v map[string]any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return nil, fmt.Errorf("the custom event is not one JSON object: %v", err)
		}
		t, _ := v["type"].(string)
		r := divartest.Event(event.Type(t))
		for _, k := range []string{"type", "metadata"} {
			r.Without(k)
		}
		for k, m := range v {
			r.Set(k, m)
		}
		return r, nil
	}
	return nil, fmt.Errorf("no event %q: POST_UPDATE, USER_ACCESS_REVOCATION, PAYMENT_TRANSACTION or CUSTOM", kind)
}

// deliver sends an event as Divar does: at once, and again after each of
// cfg.Redeliver while the add-on answers 5xx or 409 (a 4xx other than 409
// is not delivered again: the event is lost, as the log says).
func (p *Playground) deliver(title string, r *divartest.Request) {
	p.deliveries.Add(1)
	go func() {
		defer p.deliveries.Done()
		for attempt := 0; ; attempt++ {
			name := title
			if attempt > 0 {
				name = fmt.Sprintf("%s (تحویل دوباره %d)", title, attempt)
			}
			resp, err := p.call(p.ctx, name, r)
			if err == nil || attempt >= len(p.cfg.Redeliver) || !again(resp) {
				return
			}
			t := time.NewTimer(p.cfg.Redeliver[attempt])
			select {
			case <-p.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
}

// again reports whether Divar delivers an event again after resp: no
// answer, 5xx, or 409.
func again(resp *divartest.Response) bool {
	return resp == nil || resp.Status >= 500 || resp.Status == http.StatusConflict
}
