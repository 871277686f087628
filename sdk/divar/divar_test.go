package divar_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/widget"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"golang.org/x/oauth2"
)

const (
	post = "gZd7omnS"
	conv = "6b3d5cf7-9291-4fa9-892a-9d07e300daea"
)

// user returns the token source of a user holding accessToken.
func user(accessToken string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken, TokenType: "bearer"})
}

// syncBuffer is a log destination safe for the server's and client's goroutines.
type syncBuffer = divartest.LogBuffer

// newClient returns a client of api with fast backoff, logging into log.
func newClient(t *testing.T, api *divartest.API, cfg divar.Config) (*divar.Client, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := api.Client(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, log
}

var yesNo = sdk.Row(
	sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
	sdk.Button("خیر", sdk.GetDynamicAction(sdk.Data{"answer": "no"})),
)

func TestClientOperations(t *testing.T) {
	ctx := context.Background()
	api := divartest.NewAPI(t)
	c, _ := newClient(t, api, divar.Config{})

	t.Run("createPostAddon", func(t *testing.T) {
		api.Token("addon-tok", "POST_ADDON_CREATE."+post)
		a := widget.Addon(widget.TitleRow("بازدید کارشناس"), widget.ButtonBar("رزرو", sdk.OpenServerLink(sdk.Data{"step": "book"})))
		if err := c.CreatePostAddon(ctx, user("addon-tok"), post, a); err != nil {
			t.Fatal(err)
		}
		got := api.PostAddons(post)
		if len(got) != 1 {
			t.Fatalf("Divar got %d add-ons", len(got))
		}
		want, _ := sdk.MarshalAnswer(a)
		if b, _ := sdk.MarshalAnswer(got[0]); !bytes.Equal(b, want) {
			t.Errorf("Divar got %s\nwant %s", b, want)
		}
	})
	t.Run("createPostAddon with the user-wide scope", func(t *testing.T) {
		api.Token("all-posts", "USER_POSTS_ADDON_CREATE")
		if err := c.CreatePostAddon(ctx, user("all-posts"), "QaZ1wSx2", widget.Addon(widget.TitleRow("x"))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("deletePostAddons", func(t *testing.T) {
		if err := c.DeletePostAddons(ctx, post); err != nil {
			t.Fatal(err)
		}
		if got := api.PostAddons(post); len(got) != 0 {
			t.Errorf("still %d add-ons", len(got))
		}
	})
	t.Run("sendConversationMessage", func(t *testing.T) {
		api.Token("chat-tok", "CONVERSATION_SEND_MESSAGE."+conv)
		m := sdk.ChatText("ادامه می‌دهید؟").WithReceiverButtons(yesNo)
		if err := c.SendMessage(ctx, user("chat-tok"), conv, m); err != nil {
			t.Fatal(err)
		}
		got := api.Messages(conv)
		if len(got) != 1 || got[0].Message != m.Message || len(got[0].ReceiverButtons.Rows[0].Buttons) != 2 || got[0].SenderButtons != nil {
			t.Errorf("Divar got %+v", got)
		}
	})
	t.Run("sendConversationMessage with the post's scope", func(t *testing.T) {
		api.Token("post-chats", "CHAT_POST_CONVERSATIONS_MESSAGE_SEND."+post)
		api.Conversation("conv-on-post", post)
		if err := c.SendMessage(ctx, user("post-chats"), "conv-on-post", sdk.ChatText("x")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("sendBotMessage", func(t *testing.T) {
		id, err := c.SendBotMessage(ctx, "bot-conv", sdk.BotText("سلام", yesNo))
		if err != nil || id != "bot-conv" {
			t.Fatal(id, err)
		}
		if got := api.BotMessages("bot-conv"); len(got) != 1 || got[0].TextMessage != "سلام" {
			t.Errorf("Divar got %+v", got)
		}
	})
	t.Run("sendBotMessageToUser", func(t *testing.T) {
		api.Token("bot-tok", "CHAT_BOT_USER_MESSAGE_SEND")
		api.SetUser("bot-tok", divar.User{ID: "u1"}) // Divar sends a bot message only to the token's own user
		id, err := c.SendBotMessageToUser(ctx, user("bot-tok"), "u1", sdk.BotText("سلام"))
		if err != nil || id != divartest.BotConversation("u1") {
			t.Fatal(id, err)
		}
		if got := api.BotMessages(divartest.BotConversation("u1")); len(got) != 1 {
			t.Errorf("Divar got %+v", got)
		}
	})
	t.Run("createEventSubscription", func(t *testing.T) {
		api.Token("read-tok", "CHAT_POST_CONVERSATIONS_READ."+post)
		s := sdk.EventSubscription{EventType: sdk.SubscribeNewMessages, ResourceID: post, Metadata: sdk.Data{"shop": "7"}}
		if err := c.Subscribe(ctx, user("read-tok"), s); err != nil {
			t.Fatal(err)
		}
		got := api.Subscriptions()
		if len(got) != 1 || got[0].Token != "read-tok" || got[0].ResourceID != post || got[0].Metadata["shop"] != "7" {
			t.Errorf("Divar got %+v", got)
		}
	})
	t.Run("getUser", func(t *testing.T) {
		api.Token("me", "USER_ID", "USER_PHONE")
		api.SetUser("me", divar.User{ID: "u-42", PhoneNumber: "09120000000"})
		u, err := c.User(ctx, user("me"))
		if err != nil || u.ID != "u-42" || u.PhoneNumber != "09120000000" || len(u.PhoneNumbers) != 1 {
			t.Fatal(u, err)
		}
	})
	t.Run("rate reported", func(t *testing.T) {
		if r := c.Rate(); r != (divar.Rate{}) {
			t.Errorf("Rate before Divar reported one: %+v", r)
		}
		api.ReportRate(60, 59)
		defer api.ReportRate(0, 0)
		if err := c.DeletePostAddons(ctx, post); err != nil {
			t.Fatal(err)
		}
		if r := c.Rate(); r.Limit != 60 || r.Remaining != 59 {
			t.Errorf("Rate = %+v", r)
		}
	})
	t.Run("getPost and listUserPosts", func(t *testing.T) {
		published := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		api.AddPost("owner", divar.Post{Token: post, Category: "apartment-sell", City: "tehran", State: "PUBLISHED",
			ChatEnabled: true, FirstPublishedAt: published, Data: map[string]any{"title": "آپارتمان", "size": 80.0}})
		p, err := c.Post(ctx, post)
		if err != nil || p.Token != post || p.City != "tehran" || !p.ChatEnabled || !p.FirstPublishedAt.Equal(published) || p.Data["size"] != 80.0 {
			t.Fatal(p, err)
		}
		api.Token("owner", "USER_POSTS_GET")
		posts, err := c.UserPosts(ctx, user("owner"))
		if err != nil || len(posts) != 1 || posts[0].Title != "آپارتمان" {
			t.Fatal(posts, err)
		}
	})
}

func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	api := divartest.NewAPI(t)
	api.Token("tok", "POST_ADDON_CREATE."+post, "CONVERSATION_SEND_MESSAGE."+conv)
	c, _ := newClient(t, api, divar.Config{MaxRetries: -1})
	addon := widget.Addon(widget.TitleRow("x"))
	for _, tc := range []struct {
		name  string
		setup func()
		cfg   divar.Config
		call  func(c *divar.Client) error
		is    error
		want  string // in the error
	}{
		{name: "wrong API key", cfg: divar.Config{APIKey: "someone-else"},
			call: func(c *divar.Client) error { return c.DeletePostAddons(ctx, post) },
			is:   divar.ErrUnauthorized, want: "not this app's API key"},
		{name: "unknown token",
			call: func(c *divar.Client) error { return c.CreatePostAddon(ctx, user("forged"), post, addon) },
			is:   divar.ErrUnauthorized, want: "unknown, expired or revoked"},
		{name: "token for another post",
			call: func(c *divar.Client) error { return c.CreatePostAddon(ctx, user("tok"), "Other123", addon) },
			is:   divar.ErrForbidden, want: "lacks the scope Addons_CreatePostAddonV2 needs (one of POST_ADDON_CREATE.Other123, USER_POSTS_ADDON_CREATE)"},
		{name: "recipient blocked", setup: func() { api.FailNext(1, divartest.RecipientBlocked()) },
			call: func(c *divar.Client) error { return c.SendMessage(ctx, user("tok"), conv, sdk.ChatText("x")) },
			is:   divar.ErrRecipientBlocked, want: "412 Precondition Failed (code 9): message delivery failed due to recipient's restriction"},
		{name: "not found",
			call: func(c *divar.Client) error { _, err := c.Post(ctx, "Nope1234"); return err },
			is:   divar.ErrNotFound, want: `no post "Nope1234"`},
		{name: "permission not granted", setup: func() { api.Deny("GET_POST") },
			call: func(c *divar.Client) error { _, err := c.Post(ctx, post); return err },
			is:   divar.ErrForbidden, want: "lacks the permission GET_POST"},
		{name: "Divar's validation", setup: func() {
			api.FailNext(1, divartest.Fault{Status: 400, Code: 3, Message: "widgets[0]: unknown icon"})
		},
			call: func(c *divar.Client) error { return c.CreatePostAddon(ctx, user("tok"), post, addon) },
			is:   divar.ErrValidation, want: "400 Bad Request (code 3): widgets[0]: unknown icon"},
		{name: "rate limited, retries off", setup: func() { api.FailNext(1, divartest.TooManyRequests(30*time.Second)) },
			call: func(c *divar.Client) error { return c.DeletePostAddons(ctx, post) },
			is:   divar.ErrRateLimited, want: "retry after 30s"},
		{name: "Divar fails", setup: func() { api.FailNext(1, divartest.ServerError(503)) },
			call: func(c *divar.Client) error { return c.DeletePostAddons(ctx, post) },
			is:   divar.ErrDivarUnavailable, want: "503 Service Unavailable"},
		{name: "no token source",
			call: func(c *divar.Client) error { return c.SendMessage(ctx, nil, conv, sdk.ChatText("x")) },
			is:   divar.ErrNoToken, want: "pass the user's oauth2.TokenSource"},
		{name: "empty access token",
			call: func(c *divar.Client) error { return c.SendMessage(ctx, user(""), conv, sdk.ChatText("x")) },
			is:   divar.ErrNoToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			client := c
			if tc.cfg.APIKey != "" {
				tc.cfg.MaxRetries = -1
				client, _ = newClient(t, api, tc.cfg)
			}
			err := tc.call(client)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant errors.Is %v, containing %q", err, tc.is, tc.want)
			}
		})
	}

	var e *divar.APIError
	api.FailNext(1, divartest.TooManyRequests(7*time.Second))
	if err := c.DeletePostAddons(ctx, post); !errors.As(err, &e) || e.StatusCode != 429 || e.RetryAfter != 7*time.Second || e.Operation != "Addons_DeletePostAddon" {
		t.Errorf("APIError = %+v", e)
	}
}

// What Divar would refuse is refused before sending, naming every field,
// and nothing reaches Divar.
func TestClientRefusesBeforeSending(t *testing.T) {
	ctx := context.Background()
	api := divartest.NewAPI(t)
	api.Token("tok", "POST_ADDON_CREATE."+post, "CONVERSATION_SEND_MESSAGE."+conv, "CHAT_BOT_USER_MESSAGE_SEND", "USER_POSTS_GET")
	c, _ := newClient(t, api, divar.Config{})
	four := sdk.Row(yesNo.Buttons[0], yesNo.Buttons[1], yesNo.Buttons[0], yesNo.Buttons[1])
	for _, tc := range []struct {
		name string
		call func() error
		want []string
	}{
		{"widget limits", func() error {
			return c.CreatePostAddon(ctx, user("tok"), post, widget.Addon(widget.TitleRow(strings.Repeat("x", 50)), widget.ButtonBar("b", sdk.OpenDirectLink("javascript:x"))))
		}, []string{"Addons_CreatePostAddonV2: not sent", "/widgets/0/title_row/text: longer than 49", "/widgets/1/button_bar/action/open_direct_link"}},
		{"an icon Divar's description does not list", func() error {
			return c.CreatePostAddon(ctx, user("tok"), post, widget.Addon(widget.SelectorRow("t").WithIcon("NOT_AN_ICON")))
		}, []string{"Addons_CreatePostAddonV2: not sent", "/widgets/0/selector_row/icon_name: is not one of the values"}},
		{"a text and a media token", func() error {
			return c.SendMessage(ctx, user("tok"), conv, sdk.ChatText("x").WithMedia("m1"))
		}, []string{"/media_token: a message carries a text or a media token, not both"}},
		{"post token too long", func() error {
			return c.CreatePostAddon(ctx, user("tok"), "12345678901", widget.Addon(widget.TitleRow("x")))
		}, []string{"token: longer than 10 characters"}},
		{"4 buttons in a row", func() error {
			return c.SendMessage(ctx, user("tok"), conv, sdk.ChatText("x").WithSenderButtons(four))
		}, []string{"/sender_buttons/rows/0/buttons: has 4 buttons"}},
		{"4 rows for a bot", func() error {
			_, err := c.SendBotMessage(ctx, conv, sdk.BotText("x", yesNo, yesNo, yesNo, yesNo))
			return err
		}, []string{"/buttons/rows: has 4 rows"}},
		{"conversation id with white space", func() error {
			return c.SendMessage(ctx, user("tok"), "a b", sdk.ChatText("x"))
		}, []string{"conversation_id: contains white space"}},
		{"unknown event type", func() error {
			return c.Subscribe(ctx, user("tok"), sdk.EventSubscription{EventType: "NEW_MESSAGE"})
		}, []string{"/event_type:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, sdk.ErrInvalidAnswer) {
				t.Fatalf("err = %v, want ErrInvalidAnswer", err)
			}
			// A request, not an answer: it says so.
			if !strings.Contains(err.Error(), "a request Divar would refuse") || strings.Contains(err.Error(), "answer") {
				t.Errorf("err = %v, want it called a request Divar would refuse", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in\n%v", w, err)
				}
			}
		})
	}
	if calls := api.Calls(); len(calls) != 0 {
		t.Errorf("Divar was called: %+v", calls)
	}
}

func TestClientRetries(t *testing.T) {
	ctx := context.Background()
	api := divartest.NewAPI(t)
	api.Token("tok", "POST_ADDON_CREATE."+post, "CONVERSATION_SEND_MESSAGE."+conv)
	addon := widget.Addon(widget.TitleRow("x"))
	msg := sdk.ChatText("once")

	t.Run("429 is retried for a chat message, after Retry-After", func(t *testing.T) {
		c, log := newClient(t, api, divar.Config{MaxBackoff: 2 * time.Second})
		api.FailNext(1, divartest.TooManyRequests(time.Second).On("sendConversationMessage"))
		if err := c.SendMessage(ctx, user("tok"), conv, msg); err != nil {
			t.Fatal(err)
		}
		if n := api.CallsTo("sendConversationMessage"); n != 2 {
			t.Errorf("%d calls, want 2", n)
		}
		if got := api.Messages(conv); len(got) != 1 {
			t.Errorf("%d messages delivered, want 1", len(got))
		}
		if !strings.Contains(log.String(), "wait=1s") || !strings.Contains(log.String(), "status=429") {
			t.Errorf("the retry did not wait Retry-After:\n%s", log)
		}
	})
	t.Run("a 5xx on a chat message is not retried", func(t *testing.T) {
		before := api.CallsTo("sendConversationMessage")
		c, _ := newClient(t, api, divar.Config{})
		api.FailNext(1, divartest.ServerError(502).On("sendConversationMessage"))
		err := c.SendMessage(ctx, user("tok"), conv, msg)
		if !errors.Is(err, divar.ErrDivarUnavailable) {
			t.Fatal(err)
		}
		if n := api.CallsTo("sendConversationMessage") - before; n != 1 {
			t.Errorf("%d calls, want 1", n)
		}
	})
	t.Run("a 5xx on a subscription is not retried", func(t *testing.T) {
		api.Token("read", "USER_POSTS_GET")
		c, _ := newClient(t, api, divar.Config{})
		api.FailNext(1, divartest.ServerError(500).On("createEventSubscription"))
		err := c.Subscribe(ctx, user("read"), sdk.EventSubscription{EventType: sdk.SubscribePostUpdates})
		if !errors.Is(err, divar.ErrDivarUnavailable) || api.CallsTo("createEventSubscription") != 1 {
			t.Fatalf("err = %v after %d calls", err, api.CallsTo("createEventSubscription"))
		}
	})
	t.Run("a 5xx on an idempotent call is retried", func(t *testing.T) {
		before := api.CallsTo("createPostAddon")
		c, _ := newClient(t, api, divar.Config{})
		api.FailNext(2, divartest.ServerError(503).On("createPostAddon"))
		if err := c.CreatePostAddon(ctx, user("tok"), post, addon); err != nil {
			t.Fatal(err)
		}
		if n := api.CallsTo("createPostAddon") - before; n != 3 {
			t.Errorf("%d calls, want 3", n)
		}
	})
	t.Run("retries are bounded", func(t *testing.T) {
		before := api.CallsTo("deletePostAddons")
		c, _ := newClient(t, api, divar.Config{MaxRetries: 2})
		api.FailNext(3, divartest.ServerError(500).On("deletePostAddons"))
		err := c.DeletePostAddons(ctx, post)
		var e *divar.APIError
		if !errors.As(err, &e) || e.Attempts != 3 {
			t.Fatalf("err = %v", err)
		}
		if n := api.CallsTo("deletePostAddons") - before; n != 3 {
			t.Errorf("%d calls, want 3", n)
		}
	})
	t.Run("a Retry-After beyond MaxBackoff is returned, not waited", func(t *testing.T) {
		c, _ := newClient(t, api, divar.Config{MaxBackoff: time.Second})
		api.FailNext(1, divartest.TooManyRequests(time.Minute).On("createPostAddon"))
		err := c.CreatePostAddon(ctx, user("tok"), post, addon)
		var e *divar.APIError
		if !errors.As(err, &e) || e.RetryAfter != time.Minute || e.Attempts != 1 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a slow answer to an idempotent call is retried", func(t *testing.T) {
		before := api.CallsTo("createPostAddon")
		c, _ := newClient(t, api, divar.Config{Timeout: 100 * time.Millisecond})
		api.FailNext(1, divartest.Slow(time.Minute).On("createPostAddon"))
		if err := c.CreatePostAddon(ctx, user("tok"), post, addon); err != nil {
			t.Fatal(err)
		}
		if n := api.CallsTo("createPostAddon") - before; n != 2 {
			t.Errorf("%d calls, want 2", n)
		}
	})
	t.Run("a slow answer to a chat message is not retried", func(t *testing.T) {
		before := len(api.Messages(conv))
		c, _ := newClient(t, api, divar.Config{Timeout: 100 * time.Millisecond})
		api.FailNext(1, divartest.Slow(time.Minute).On("sendConversationMessage"))
		err := c.SendMessage(ctx, user("tok"), conv, msg)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if n := len(api.Messages(conv)) - before; n != 0 {
			t.Errorf("%d messages delivered", n)
		}
	})
}

// A slow or dead Divar never holds a caller past its context.
func TestClientHonoursContext(t *testing.T) {
	api := divartest.NewAPI(t)
	api.Token("me", "USER_ID")
	c, _ := newClient(t, api, divar.Config{Timeout: time.Hour, MaxBackoff: time.Hour, MinBackoff: time.Hour})

	t.Run("deadline while Divar is slow", func(t *testing.T) {
		api.FailNext(1, divartest.Slow(time.Hour).On("getUser"))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := c.User(ctx, user("me")); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("cancelled while waiting to retry", func(t *testing.T) {
		api.FailNext(1, divartest.ServerError(500).On("getUser"))
		ctx, cancel := context.WithCancel(context.Background())
		go func() { // cancel once Divar has failed the call
			for !failed(api, "getUser", 500) {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		if _, err := c.User(ctx, user("me")); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a wait beyond the deadline is not started", func(t *testing.T) {
		api.FailNext(1, divartest.TooManyRequests(10*time.Second).On("getUser"))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := c.User(ctx, user("me")); !errors.Is(err, divar.ErrRateLimited) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("Divar unreachable", func(t *testing.T) {
		dead, _ := divar.NewClient(divar.Config{APIKey: "k", BaseURL: "http://127.0.0.1:1", MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
		if _, err := dead.Post(context.Background(), post); err == nil || !strings.Contains(err.Error(), "Finder_GetPost") {
			t.Fatalf("err = %v", err)
		}
	})
}

// failed reports whether api has answered a call of op with status.
func failed(api *divartest.API, op string, status int) bool {
	for _, c := range api.Calls() {
		if c.Is(op) && c.Status == status {
			return true
		}
	}
	return false
}

// Neither the API key nor a user's token appears in an error or a log, even
// when Divar echoes them.
func TestClientKeepsSecrets(t *testing.T) {
	const key, token = "KEY-s3cr3t-123456", "ory_at_T0KEN-s3cr3t"
	api := divartest.NewAPI(t)
	api.SetAPIKey(key)
	api.Token(token, "CONVERSATION_SEND_MESSAGE."+conv)
	c, log := newClient(t, api, divar.Config{APIKey: key, MaxRetries: 2})
	ctx := context.Background()
	var errs []error
	api.FailNext(1, divartest.Fault{Status: 400, Code: 3, Message: "bad key " + key + " and token " + token})
	errs = append(errs, c.SendMessage(ctx, user(token), conv, sdk.ChatText("x")))
	api.FailNext(3, divartest.TooManyRequests(0))
	errs = append(errs, c.SendMessage(ctx, user(token), conv, sdk.ChatText("x")))
	api.FailNext(3, divartest.ServerError(500))
	_, err := c.Post(ctx, post)
	errs = append(errs, err)
	api.Revoke(token)
	errs = append(errs, c.SendMessage(ctx, user(token), conv, sdk.ChatText("x")))
	bad, _ := newClient(t, api, divar.Config{APIKey: key + "-wrong"})
	errs = append(errs, bad.DeletePostAddons(ctx, post))
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d succeeded", i)
		}
		if s := err.Error(); strings.Contains(s, "s3cr3t") {
			t.Errorf("a secret in error %d: %s", i, s)
		}
	}
	if !strings.Contains(errs[0].Error(), "bad key [redacted] and token [redacted]") {
		t.Errorf("Divar's message lost: %v", errs[0])
	}
	if l := log.String(); l == "" || strings.Contains(l, "s3cr3t") {
		t.Errorf("log (must be non-empty and hold no secret):\n%s", l)
	}
}

func TestNewClientRefusesABadConfig(t *testing.T) {
	if _, err := divar.NewClient(divar.Config{}); !errors.Is(err, divar.ErrNoAPIKey) {
		t.Errorf("no key: %v", err)
	}
	for _, u := range []string{"open-api.divar.ir", "ftp://x", "http://"} {
		if _, err := divar.NewClient(divar.Config{APIKey: "k", BaseURL: u}); err == nil {
			t.Errorf("base URL %q accepted", u)
		}
	}
}

// The fake refuses what Divar refuses even when a request does not come
// from the sdk's client.
func TestFakeAPIRefusesLikeDivar(t *testing.T) {
	api := divartest.NewAPI(t)
	api.Token("tok", "POST_ADDON_CREATE."+post)
	send := func(method, path, body string, header map[string]string) (int, string) {
		req, _ := http.NewRequest(method, api.URL()+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res.StatusCode, b.String()
	}
	auth := map[string]string{"X-API-Key": divartest.APIKey, "Authorization": "Bearer tok"}
	for _, tc := range []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		want                     string
	}{
		{"no key", "DELETE", "/v1/open-platform/addons/post/" + post, "", nil, 401, `"code":16`},
		{"no bearer", "POST", "/v2/open-platform/addons/post/" + post, `{"widgets":[{"title_row":{"text":"x","has_divider":false}}]}`,
			map[string]string{"X-API-Key": divartest.APIKey}, 401, "needs the user's OAuth access token"},
		{"widget too long (a kind Divar's description does not name is not refused by it)", "POST", "/v2/open-platform/addons/post/" + post,
			`{"widgets":[{"title_row":{"text":"` + strings.Repeat("x", 50) + `"}},{"fancy_row":{}}]}`, auth, 400,
			"/widgets/0/title_row/text must have at most 49 characters"},
		{"unknown path", "GET", "/v1/open-platform/nothing", "", auth, 404, `"code":5`},
		{"a good add-on", "POST", "/v2/open-platform/addons/post/" + post, `{"widgets":[{"title_row":{"text":"x","has_divider":false}}]}`, auth, 200, "{}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := send(tc.method, tc.path, tc.body, tc.header)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("%d %s\nwant %d with %q", status, body, tc.status, tc.want)
			}
		})
	}
}

// TestRefusedConnectionSaysNeverSent: a chat message whose connection is
// refused is retried, since nothing reached Divar, and both the retry's
// log line and the error say it was never sent, not that it was sent
// again.
func TestRefusedConnectionSaysNeverSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close() // nobody listens: every dial is refused
	var logs syncBuffer
	c, err := divar.NewClient(divar.Config{APIKey: divartest.APIKey, BaseURL: closed, MaxRetries: 2,
		MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SendBotMessage(context.Background(), "c-1", sdk.BotText("سلام"))
	if !errors.Is(err, dedupe.ErrNotSent) || !strings.Contains(err.Error(), "never sent, no connection to Divar") {
		t.Errorf("err = %v, want it never sent (dedupe.ErrNotSent)", err)
	}
	if n := strings.Count(logs.String(), "was never sent (no connection): trying again"); n != 2 || strings.Contains(logs.String(), "retrying a call") {
		t.Errorf("the retries' log lines do not say the message was never sent:\n%s", logs.String())
	}
}

// A base URL with a path is a prefix of every call's path, whether or not
// it ends in '/': the typed calls' own URLs, gen/divarapi's builders
// (payments, query parameters) and Do all send under it. Divar's fake is
// served under /divar/ behind a server that records what it was asked.
func TestBaseURLPrefix(t *testing.T) {
	ctx := context.Background()
	api := typedFake(t)
	api.SetBalance(1000)
	var (
		mu    sync.Mutex
		paths []string
	)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.EscapedPath())
		mu.Unlock()
		if !strings.HasPrefix(r.URL.Path, "/divar/") {
			http.Error(w, `{"code":5,"message":"not under the prefix"}`, http.StatusNotFound)
			return
		}
		http.StripPrefix("/divar", api.Server().Config.Handler).ServeHTTP(w, r)
	}))
	defer front.Close()
	calls := []struct {
		name string
		call func(*divar.Client) error
	}{
		{"SendMessage (a typed call's URL)", func(c *divar.Client) error {
			return c.SendMessage(ctx, user("tok"), conv, sdk.ChatText("سلام").WithReceiverButtons(yesNo))
		}},
		{"UserBusinesses (a typed GET)", func(c *divar.Client) error { _, err := c.UserBusinesses(ctx, user("tok")); return err }},
		{"Balance (gen/divarapi's builder)", func(c *divar.Client) error { _, err := c.Balance(ctx); return err }},
		{"DeleteUserSemantic (a query parameter)", func(c *divar.Client) error { return c.DeleteUserSemantic(ctx, divarUID, phone) }},
		{"Do", func(c *divar.Client) error {
			return c.Do(ctx, divar.Request{Path: "/v1/open-platform/user/businesses", User: user("tok")}, nil)
		}},
	}
	for _, base := range []string{front.URL + "/divar", front.URL + "/divar/", front.URL + "/divar?x=1"} {
		c, err := divar.NewClient(divar.Config{APIKey: divartest.APIKey, BaseURL: base, MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range calls {
			t.Run(base+"/"+tc.name, func(t *testing.T) {
				mu.Lock()
				paths = nil
				mu.Unlock()
				if err := tc.call(c); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				defer mu.Unlock()
				// The fake accepted it, so under the prefix is the operation's path.
				if len(paths) != 1 || !strings.HasPrefix(paths[0], "/divar/") || strings.HasPrefix(paths[0], "/divar//") {
					t.Errorf("sent to %q, want one path under /divar/", paths)
				}
			})
		}
	}
}

// Divar's API answers no redirect; one is not followed, so the API key and
// the user's token never go where it points, whichever way the client
// sends (through its Transport, or its Do when it has a Jar), unless the
// caller's own CheckRedirect follows it.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere sync.Map // the headers the other server was sent
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Store(r.Header.Get("X-Api-Key")+" "+r.Header.Get("Authorization"), true)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	defer other.Close()
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer moved.Close()
	jar := &http.Client{Jar: noCookies{}}
	follow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
	for _, c := range []struct {
		name     string
		hc       *http.Client
		followed bool
	}{
		{"the default client", nil, false},
		{"a client of the caller's", &http.Client{}, false},
		{"a client with a cookie jar", jar, false},
		{"a client whose CheckRedirect follows", follow, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			elsewhere.Clear()
			client, err := divar.NewClient(divar.Config{APIKey: "the-key", BaseURL: moved.URL, HTTPClient: c.hc, MaxRetries: -1})
			if err != nil {
				t.Fatal(err)
			}
			err = client.SendMessage(context.Background(), user("the-token"), conv, sdk.ChatText("سلام"))
			var e *divar.APIError
			switch {
			case c.followed && err != nil:
				t.Fatalf("err = %v, want the redirect followed", err)
			case !c.followed && (!errors.As(err, &e) || e.StatusCode != http.StatusTemporaryRedirect):
				t.Fatalf("err = %v, want the 307 as an *APIError", err)
			}
			sent := 0
			elsewhere.Range(func(k, _ any) bool { sent++; return true })
			if c.followed != (sent > 0) {
				t.Errorf("the other server was sent %d requests", sent)
			}
		})
	}
}

// noCookies is a cookie jar that keeps none.
type noCookies struct{}

func (noCookies) SetCookies(*url.URL, []*http.Cookie) {}
func (noCookies) Cookies(*url.URL) []*http.Cookie     { return nil }

// The http.Client's Timeout bounds each attempt, as its Do would, also
// when the client is used through its Transport.
func TestHTTPClientTimeoutBoundsEachAttempt(t *testing.T) {
	api := divartest.NewAPI(t)
	c, _ := newClient(t, api, divar.Config{HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}})
	api.FailNext(1, divartest.Slow(time.Minute).On("sendConversationMessage"))
	if err := c.SendMessage(context.Background(), user("tok"), conv, sdk.ChatText("سلام")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the attempt cut at the http.Client's Timeout", err)
	}
}

// A RoundTripper of the caller's that derives a context from the
// request's and fails with that context's error: once the attempt's
// timeout passes, the call's error is context.DeadlineExceeded, as it was
// when the attempt's context was a context.WithTimeout (a context derived
// from the attempt's own says context.Canceled, its cause
// DeadlineExceeded).
func TestAttemptTimeoutThroughADerivedContext(t *testing.T) {
	api := divartest.NewAPI(t)
	waits := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		<-ctx.Done()
		return nil, ctx.Err()
	})
	c, _ := newClient(t, api, divar.Config{HTTPClient: &http.Client{Transport: waits}, Timeout: 50 * time.Millisecond})
	err := c.SendMessage(context.Background(), user("tok"), conv, sdk.ChatText("سلام"))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.DeadlineExceeded (the attempt's timeout), not context.Canceled", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRequestHeaders: what a call sends besides what net/http adds: the
// API key, the user's token when given, the body's type when it has one,
// the User-Agent; no Accept (Divar's reference asks for none).
func TestRequestHeaders(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []http.Header
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c, err := divar.NewClient(divar.Config{APIKey: "the-key", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	user := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "the-token"})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		call func() error
		want map[string]string
	}{
		{"a message, with the user's token", func() error { return c.SendMessage(ctx, user, conv, sdk.ChatText("سلام")) },
			map[string]string{"X-Api-Key": "the-key", "Authorization": "Bearer the-token", "Content-Type": "application/json", "User-Agent": "kenarkit"}},
		{"a post, without a body or a token", func() error { _, err := c.Post(ctx, post); return err },
			map[string]string{"X-Api-Key": "the-key", "User-Agent": "kenarkit"}},
		{"Do", func() error { return c.Do(ctx, divar.Request{Path: "/v1/open-platform/assets/city"}, nil) },
			map[string]string{"X-Api-Key": "the-key", "User-Agent": "kenarkit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 1 {
				t.Fatalf("%d requests, want 1", len(seen))
			}
			h := seen[0]
			delete(h, "Accept-Encoding") // net/http's own
			delete(h, "Content-Length")
			if len(h) != len(tc.want) {
				t.Errorf("headers %v, want exactly %v", h, tc.want)
			}
			for k, v := range tc.want {
				if got := h.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}
