package playground

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/kenarkit/kenarkit/sdk/widget"
	"golang.org/x/oauth2"
)

// testAddon answers Divar's callbacks as the test says: the dynamic
// action by its data's "answer", events failing the first fail deliveries
// of each message or payment.
type testAddon struct {
	fail int

	mu         sync.Mutex
	deliveries map[string]int // by the event's identity
	order      []string       // identities, in order of first delivery
}

var _ gen.StrictServerInterface = (*testAddon)(nil)

func (a *testAddon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	return sdk.OpenURL("https://addon.example/landing?post=" + req.Body.PostToken), nil
}

func (a *testAddon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	switch req.Body.Data().String("answer") {
	case "yes":
		return sdk.Reply(sdk.OpenServerLink(sdk.Data{"step": "2"})).WithText("بفرمایید"), nil
	case "link":
		return sdk.Reply(sdk.OpenDirectLink("https://addon.example/direct")), nil
	case "broken":
		return nil, errors.New("the handler failed")
	}
	return sdk.TextMessage("دریافت شد"), nil
}

func (a *testAddon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	e := req.Body
	id := string(e.Type)
	if m := e.Message(); m != nil {
		id = m.ID
	} else if p := e.Payment(); p != nil {
		id = p.ID
	}
	a.mu.Lock()
	a.deliveries[id]++
	n := a.deliveries[id]
	if n == 1 {
		a.order = append(a.order, id)
	}
	a.mu.Unlock()
	if n <= a.fail {
		return nil, errors.New("not now")
	}
	return event.Ack{}, nil
}

// start serves a and a playground for it, with redeliveries at once.
func start(t *testing.T, a *testAddon) *Playground {
	t.Helper()
	a.deliveries = map[string]int{}
	srv := httptest.NewUnstartedServer(nil)
	key := "test-key"
	e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{key}, Logger: slog.New(slog.DiscardHandler)},
		gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(a, nil))
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = e
	srv.Start()
	t.Cleanup(srv.Close)
	p, err := Start(Config{AddonURL: srv.URL, Key: key, Logger: slog.New(slog.DiscardHandler), Redeliver: []time.Duration{0, 0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func env(p *Playground) map[string]string {
	m := map[string]string{}
	for _, kv := range p.Env() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func TestTapsDoWhatDivarDoes(t *testing.T) {
	p := start(t, &testAddon{})
	tests := []struct {
		name   string
		action sdk.Action
		at     place
		want   Outcome
	}{
		{"open_server_link opens the URL the init callback answers", sdk.OpenServerLink(sdk.Data{"step": "1"}), onPost,
			Outcome{Open: "https://addon.example/landing?post=" + Post}},
		{"get_dynamic_action shows the text answered", sdk.GetDynamicAction(sdk.Data{"answer": "no"}), inBot,
			Outcome{Toast: "دریافت شد"}},
		{"an answered action is performed", sdk.GetDynamicAction(sdk.Data{"answer": "yes"}), onPost,
			Outcome{Toast: "بفرمایید", Open: "https://addon.example/landing?post=" + Post}},
		{"an answered open_direct_link opens", sdk.GetDynamicAction(sdk.Data{"answer": "link"}), inConv,
			Outcome{Open: "https://addon.example/direct"}},
		{"open_direct_link opens without a callback", sdk.OpenDirectLink("https://example.com/x"), onPost,
			Outcome{Open: "https://example.com/x"}},
		{"an open_direct_link that is not http(s) is not opened", sdk.OpenDirectLink("javascript:alert(1)"), onPost,
			Outcome{Error: "دیوار این پیوند را باز نمی‌کند: open_direct_link must be an absolute http(s) URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.tap(context.Background(), tt.action, tt.at); got != tt.want {
				t.Errorf("tap = %+v, want %+v", got, tt.want)
			}
		})
	}
	t.Run("an answer Divar rejects is an error, and refused in the log", func(t *testing.T) {
		got := p.tap(context.Background(), sdk.GetDynamicAction(sdk.Data{"answer": "broken"}), onPost)
		if !strings.Contains(got.Error, "answered 500") || got.Open != "" {
			t.Errorf("tap = %+v, want the error Divar shows", got)
		}
		if e := p.Entries()[0]; e.OK || !strings.Contains(e.Verdict, "answered 500") || !e.Inbound {
			t.Errorf("the newest entry is %+v, want the refused dynamic action", e)
		}
	})
}

func TestEventsHaveFreshIDsAndAreRedelivered(t *testing.T) {
	a := &testAddon{fail: 2} // 500 twice, then 200
	p := start(t, a)
	for range 2 {
		r, err := p.event(string(event.TypePaymentTransaction), "", "")
		if err != nil {
			t.Fatal(err)
		}
		p.deliver("payment", r)
		p.chat("سلام", true)
	}
	p.deliveries.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.order) != 4 {
		t.Fatalf("the add-on saw %d distinct events (%v), want 4: each trigger a fresh id", len(a.order), a.order)
	}
	for id, n := range a.deliveries {
		if n != 3 {
			t.Errorf("event %s delivered %d times, want 3 (two 500s, then 200)", id, n)
		}
	}
}

func TestEventsAsDivarBuildsThem(t *testing.T) {
	p := start(t, &testAddon{})
	tests := []struct {
		name, kind, detail, raw, want string
	}{
		{"post update", "POST_UPDATE", "RETIRE", "", `"type":"RETIRE"`},
		{"access revocation", "USER_ACCESS_REVOCATION", "", "", divartest.SeedUserID},
		{"payment", "PAYMENT_TRANSACTION", "TRANSACTION_STATE_REFUNDED", "", `"state":"TRANSACTION_STATE_REFUNDED"`},
		{"custom", "CUSTOM", "", `{"type":"SOMETHING_NEW","x":1}`, `{"type":"SOMETHING_NEW","x":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := p.event(tt.kind, tt.detail, tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if body := string(r.JSON()); !strings.Contains(body, tt.want) {
				t.Errorf("the event is %s, want it to hold %s", body, tt.want)
			}
		})
	}
	if _, err := p.event("CUSTOM", "", "[1]"); err == nil {
		t.Error("a custom event that is not an object is sent")
	}
}

// consent walks Divar's consent page as a user, allowing or denying, and
// returns where Divar sends the browser.
func consent(t *testing.T, p *Playground, conf *oauth2.Config, decision string) *url.URL {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(conf.AuthCodeURL("state-1234567890"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `id="allow"`) || !strings.Contains(string(page), conf.Scopes[0]) {
		t.Fatalf("Divar's consent page: %d\n%s", resp.StatusCode, page)
	}
	decide := env(p)["KENAR_OAUTH_URL"] + "/oauth2/decide?" + strings.TrimPrefix(conf.AuthCodeURL("state-1234567890"), conf.Endpoint.AuthURL+"?") + "&decision=" + decision
	resp, err = noFollow.Get(decide)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the decision answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc
}

func oauthConfig(p *Playground) *oauth2.Config {
	e := env(p)
	return &oauth2.Config{ClientID: e["KENAR_APP_SLUG"], ClientSecret: e["KENAR_OAUTH_SECRET"],
		Endpoint:    oauth2.Endpoint{AuthURL: e["KENAR_OAUTH_URL"] + "/oauth2/auth", TokenURL: e["KENAR_OAUTH_URL"] + "/oauth2/token"},
		RedirectURL: e["PUBLIC_URL"] + "/divar/oauth/callback", Scopes: []string{"POST_ADDON_CREATE." + Post, "offline_access"}}
}

func TestConsentAllowAndDeny(t *testing.T) {
	p := start(t, &testAddon{})
	conf := oauthConfig(p)
	tests := []struct{ decision, param, want string }{
		{"allow", "code", ""},
		{"deny", "error", "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.decision, func(t *testing.T) {
			loc := consent(t, p, conf, tt.decision)
			if got := loc.Query().Get(tt.param); got == "" || (tt.want != "" && got != tt.want) {
				t.Errorf("Divar sent the browser to %s, want %s=%s", loc, tt.param, tt.want)
			}
			if !strings.HasPrefix(loc.String(), conf.RedirectURL+"?") {
				t.Errorf("Divar sent the browser to %s, not the add-on's redirect address", loc)
			}
		})
	}
}

// grant consents and exchanges the code, as an add-on does, through the
// playground's OAuth server.
func grant(t *testing.T, p *Playground) (*oauth2.Token, string) {
	t.Helper()
	conf := oauthConfig(p)
	code := consent(t, p, conf, "allow").Query().Get("code")
	tok, err := conf.Exchange(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return tok, code
}

func TestLogMasksSecrets(t *testing.T) {
	p := start(t, &testAddon{})
	tok, code := grant(t, p)
	e := env(p)
	secrets := map[string]string{"the OAuth code": code, "the access token": tok.AccessToken, "the refresh token": tok.RefreshToken,
		"the OAuth secret": e["KENAR_OAUTH_SECRET"], "the API key": e["KENAR_API_KEY"], "the identification key": e["KENAR_IDENTIFICATION_KEY"],
		"the state": "state-1234567890"}
	client, err := divar.NewClient(divar.Config{APIKey: e["KENAR_API_KEY"], BaseURL: e["KENAR_API_URL"]})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.CreatePostAddon(context.Background(), oauth2.StaticTokenSource(tok), Post, widget.Addon(widget.TitleRow("سلام"))); err != nil {
		t.Fatal(err)
	}
	p.tap(context.Background(), sdk.OpenServerLink(nil), onManage)
	entries := p.Entries()
	if len(entries) < 5 {
		t.Fatalf("the log has %d entries, want the consent page, the decision, the exchange, the post add-on and the init callback", len(entries))
	}
	all, _ := json.Marshal(entries)
	for what, s := range secrets {
		if s == "" {
			t.Fatalf("no %s to look for", what)
		}
		if strings.Contains(string(all), s) || strings.Contains(string(all), url.QueryEscape(s)) {
			t.Errorf("the log shows %s", what)
		}
	}
	page := render(t, p)
	for what, s := range secrets {
		if strings.Contains(page, s) {
			t.Errorf("the page shows %s", what)
		}
	}
}

// render returns the page's fragments as /_/state answers them.
func render(t *testing.T, p *Playground) string {
	t.Helper()
	resp, err := http.Get(p.URL() + "/_/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s map[string]any
	if err := json.UnmarshalRead(resp.Body, &s); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range fragments {
		b.WriteString(s[f].(string))
	}
	return b.String()
}

func TestWidgetsDrawnAsDivarDrawsThem(t *testing.T) {
	p := start(t, &testAddon{})
	tok, _ := grant(t, p)
	e := env(p)
	client, err := divar.NewClient(divar.Config{APIKey: e["KENAR_API_KEY"], BaseURL: e["KENAR_API_URL"]})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		widget widget.Widget
		want   []string // in the drawn page
	}{
		{"title_row", widget.TitleRow("عنوان"), []string{`class="w title-row"`, "عنوان"}},
		{"subtitle_row", widget.SubtitleRow("زیرعنوان").WithDivider(), []string{`class="w subtitle-row divider"`, "زیرعنوان"}},
		{"description_row", widget.DescriptionRow("توضیح بلند").Expandable(), []string{"description-row", "<details><summary>توضیح بلند"}},
		{"button_bar", widget.ButtonBar("دکمه", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})), []string{"button-bar", "دکمه", `data-tap="{&#34;get_dynamic_action&#34;:{&#34;data&#34;:{&#34;answer&#34;:&#34;yes&#34;}}}"`}},
		{"selector_row", widget.SelectorRow("انتخاب").WithAction(sdk.OpenServerLink(nil)).WithIcon("HOME"), []string{"selector-row", "tappable", "انتخاب", "HOME"}},
		{"percentage score_row", widget.PercentageScoreRow("امتیاز", 80).WithColor(widget.ColorSuccessPrimary), []string{"score-row", "۸۰٪", "c-success_primary"}},
		{"descriptive score_row", widget.DescriptiveScoreRow("کیفیت", "عالی"), []string{"score-row", "عالی"}},
		{"event_row", widget.EventRow("بازدید", "فردا").WithLabel("جدید"), []string{"event-row", "بازدید", "فردا", `class="label"`}},
		{"evaluation_row", widget.EvaluationRow("اینجا", 30, widget.Section("کم", widget.ColorErrorPrimary), widget.Section("متوسط", widget.ColorWarningPrimary), widget.Section("زیاد", widget.ColorSuccessPrimary)),
			[]string{"evaluation-row", "left: 30%", "اینجا", "c-error_primary", "c-warning_primary"}},
		{"group_info_row", widget.GroupInfoRow(widget.Info("متراژ", "۸۵"), widget.Info("اتاق", "۲")), []string{"group-info-row", "متراژ", "۸۵", "اتاق"}},
		{"image_carousel_row", widget.ImageCarouselRow(widget.Image("logo", "نما")), []string{"image-carousel-row", "logo", "نما"}},
	}
	var widgets []widget.Widget
	for _, tt := range tests {
		widgets = append(widgets, tt.widget)
	}
	if err := client.CreatePostAddon(context.Background(), oauth2.StaticTokenSource(tok), Post, widget.Addon(widgets...)); err != nil {
		t.Fatal(err)
	}
	page := render(t, p)
	if !strings.Contains(page, `id="addon-live"`) {
		t.Fatalf("the accepted add-on is not drawn on the post:\n%s", page)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %s", w)
				}
			}
		})
	}

	t.Run("a widget Divar refuses is drawn refused with the reason", func(t *testing.T) {
		body := `{"widgets":[{"title_row":{"text":"` + strings.Repeat("ب", 60) + `","has_divider":false}}]}`
		req, _ := http.NewRequest(http.MethodPost, e["KENAR_API_URL"]+"/v2/open-platform/addons/post/"+Post, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", e["KENAR_API_KEY"])
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("Divar answered %d, want 400", resp.StatusCode)
		}
		page := render(t, p)
		if !strings.Contains(page, `class="addon refused"`) || !strings.Contains(page, "/widgets/0/title_row/text") {
			t.Errorf("the refused add-on is not drawn refused with its pointer:\n%s", page)
		}
		if !strings.Contains(page, `id="addon-live"`) {
			t.Error("the add-on Divar accepted before is no longer drawn on the post")
		}
		if e := p.Entries()[0]; e.OK || !strings.Contains(e.Verdict, "/widgets/0/title_row/text") {
			t.Errorf("the log's newest entry is %+v, want Divar's refusal by pointer", e)
		}
	})
}

// TestConversation: a buyer's message in the conversation about the post
// reaches the add-on as NEW_MESSAGE in that conversation, and the add-on's
// conversation message is drawn with the buttons the buyer sees.
func TestConversation(t *testing.T) {
	a := &testAddon{}
	p := start(t, a)
	p.chat("هنوز موجود است؟", false)
	p.deliveries.Wait()
	e := p.Entries()[0]
	if !e.OK || !strings.Contains(e.Request, `"new_message"`) || !strings.Contains(e.Request, `"id": "`+Conversation+`"`) || !strings.Contains(e.Request, "هنوز موجود است؟") {
		t.Errorf("the buyer's message was delivered as %+v", e)
	}

	conf := oauthConfig(p)
	conf.Scopes = []string{"CHAT_POST_CONVERSATIONS_MESSAGE_SEND." + Post}
	code := consent(t, p, conf, "allow").Query().Get("code")
	tok, err := conf.Exchange(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	client, err := divar.NewClient(divar.Config{APIKey: env(p)["KENAR_API_KEY"], BaseURL: env(p)["KENAR_API_URL"]})
	if err != nil {
		t.Fatal(err)
	}
	err = client.SendMessage(context.Background(), oauth2.StaticTokenSource(tok), Conversation,
		sdk.ChatText("بله، موجود است").WithReceiverButtons(sdk.Row(sdk.Button("رزرو", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})))))
	if err != nil {
		t.Fatal(err)
	}
	page := render(t, p)
	for _, want := range []string{"هنوز موجود است؟", "بله، موجود است", ">رزرو</button>", `data-place="conv"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the conversation lacks %s", want)
		}
	}
}

// TestPageRefusesBadInput: the page's endpoints answer 400, saying why, to
// what the page never sends.
func TestPageRefusesBadInput(t *testing.T) {
	p := start(t, &testAddon{})
	tests := []struct {
		name, path, contentType, body, want string
	}{
		{"a tap without a place", "/_/tap", "application/json", `{"open_direct_link":"https://a.example/"}`, "a place"},
		{"a tap that is not an action", "/_/tap?place=post", "application/json", `[1]`, "an action"},
		{"an empty chat message", "/_/chat", "application/x-www-form-urlencoded", "to=bot&text=+", "an empty message"},
		{"an unknown event", "/_/event", "application/x-www-form-urlencoded", "type=NOPE", `no event "NOPE"`},
		{"a custom event that is no object", "/_/event", "application/x-www-form-urlencoded", "type=CUSTOM&json=%5B%5D", "not one JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(p.URL()+tt.path, tt.contentType, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tt.want) {
				t.Errorf("answered %d %q, want 400 saying %q", resp.StatusCode, b, tt.want)
			}
		})
	}
}
