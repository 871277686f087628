package divar_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/gen/divarapi"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/widget"
	"golang.org/x/oauth2"
)

const (
	business = "biz-1"
	divarUID = "divar-user-1"
	phone    = "09120000000"
)

// allScopes is every scope the typed calls need, bound to the test's
// post, conversation and business.
var allScopes = []string{
	"POST_ADDON_CREATE." + post, "CONVERSATION_SEND_MESSAGE." + conv, "CHAT_BOT_USER_MESSAGE_SEND",
	"USER_POSTS_GET", "USER_ID", "CHAT_POST_CONVERSATIONS_READ." + post, "USER_ADDON_CREATE", "BUSINESS_ADDON_CREATE." + business,
	"CHAT_CONVERSATION_READ." + conv, "PRO_USER_PROFILE_IMAGE_READ", "USER_BUSINESSES_READ",
	"USER_POSTS_STATS_READ", "USER_SET_CUSTOMIZED_BUTTON", "BUSINESS_CREATE_CUSTOMIZED_BUTTON." + business,
	"POST_SEMANTIC_CREATE." + post, "USER_VERIFICATION_CREATE",
}

// typedCall is one typed call of divar.Client, as the fake knows it.
type typedCall struct {
	name       string
	fakeOp     string // the operationId the fake routes it by (Fault.On)
	permission string // the API key's permission; "" when Divar names none
	user       bool   // needs the user's token: refused 403 without the scope
	idempotent bool   // a 5xx is retried
	call       func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error
}

func title(s string) divarapi.AddonsWidget {
	return divarapi.AddonsWidget{TitleRow: &divarapi.AddonsTitleRow{Text: &s}}
}

var button = divarapi.PostCustomizedButton{Type: divarapi.ONLINECALL, Action: divarapi.AddonsAction{OpenDirectLink: ptr("https://addon.example.com/call")}}

func ptr[T any](v T) *T { return &v }

var typedCalls = []typedCall{
	{"CreatePostAddon", "createPostAddon", "ADD_ON_CREATE", true, true, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		return c.CreatePostAddon(ctx, tok, post, widget.Addon(widget.TitleRow("x")))
	}},
	{"DeletePostAddons", "deletePostAddons", "ADD_ON_DELETE", false, true, func(ctx context.Context, c *divar.Client, _ oauth2.TokenSource) error {
		return c.DeletePostAddons(ctx, post)
	}},
	{"SendMessage", "sendConversationMessage", "CHAT_SEND_MESSAGE_OAUTH", true, false, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		return c.SendMessage(ctx, tok, conv, sdk.ChatText("x"))
	}},
	{"SendBotMessage", "sendBotMessage", "CHAT_BOT_SEND_MESSAGE", false, false, func(ctx context.Context, c *divar.Client, _ oauth2.TokenSource) error {
		_, err := c.SendBotMessage(ctx, conv, sdk.BotText("x"))
		return err
	}},
	{"SendBotMessageToUser", "sendBotMessageToUser", "CHAT_BOT_SEND_MESSAGE", true, false, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		_, err := c.SendBotMessageToUser(ctx, tok, divarUID, sdk.BotText("x"))
		return err
	}},
	{"Subscribe", "createEventSubscription", "EVENTS_REGISTER_SUBSCRIPTION", true, false, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		return c.Subscribe(ctx, tok, sdk.EventSubscription{EventType: sdk.SubscribeNewMessages, ResourceID: post})
	}},
	{"User", "getUser", "USER_RETRIEVE", true, true, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		_, err := c.User(ctx, tok)
		return err
	}},
	{"Post", "getPost", "GET_POST", false, true, func(ctx context.Context, c *divar.Client, _ oauth2.TokenSource) error {
		_, err := c.Post(ctx, post)
		return err
	}},
	{"UserPosts", "listUserPosts", "GET_USER_POSTS", true, true, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		_, err := c.UserPosts(ctx, tok)
		return err
	}},
	{"CreateUserAddon", "Addons_CreateUserAddonV2", "USER_ADDON_CREATE", true, false, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		_, err := c.CreateUserAddon(ctx, tok, divarUID, divarapi.AddonsCreateUserAddonV2Body{Widgets: &[]divarapi.AddonsWidget{title("x")}})
		return err
	}},
	{"CreateUserAddonByPhone", "Addons_CreateUserAddonV22", "", true, false, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		_, err := c.CreateUserAddonByPhone(ctx, tok, phone, divarapi.AddonsCreateUserAddonV2Body{Widgets: &[]divarapi.AddonsWidget{title("x")}})
		return err
	}},
	{"DeleteUserAddon", "Addons_DeleteUserAddon", "USER_ADDON_DELETE", false, true, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		id, _ := c.CreateUserAddon(ctx, tok, divarUID, divarapi.AddonsCreateUserAddonV2Body{Widgets: &[]divarapi.AddonsWidget{title("x")}})
		if id == "" {
			id = "user-addon-0"
		}
		return c.DeleteUserAddon(ctx, id)
	}},
	{"CreateBusinessAddon", "Addons_CreateBusinessAddon", "BUSINESS_ADDON_CREATE", true, false, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		_, err := c.CreateBusinessAddon(ctx, tok, business, divarapi.AddonsCreateBusinessAddonBody{Widgets: &[]divarapi.AddonsWidget{title("x")}})
		return err
	}},
	{"Conversation", "ChatAPI_GetConversation", "CHAT_READ_CONVERSATION", true, true, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		v, err := c.Conversation(ctx, tok, conv)
		if err == nil && (v.Conversation.Id == nil || *v.Conversation.Id != conv) {
			return errors.New("not the conversation asked for")
		}
		return err
	}},
	{"UserIDByPhone", "Finder_GetUserIDByPhone", "GET_USER_ID_BY_PHONE", false, true, func(ctx context.Context, c *divar.Client, _ oauth2.TokenSource) error {
		id, err := c.UserIDByPhone(ctx, phone)
		if err == nil && id != divarUID {
			return errors.New("user id " + id)
		}
		return err
	}},
	{"ProUserProfileImage", "Finder_GetProUserProfileImage", "GET_PRO_USER_PROFILE_IMAGE", true, true, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		_, err := c.ProUserProfileImage(ctx, tok)
		return err
	}},
	{"UserBusinesses", "Finder_GetUserBusinesses", "GET_USER_BUSINESSES", true, true, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		_, err := c.UserBusinesses(ctx, tok)
		return err
	}},
	{"UserPost", "Post_GetUserPost", "GET_USER_POST", true, true, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		_, err := c.UserPost(ctx, tok, post)
		return err
	}},
	{"PostStats", "Post_GetPostStats", "POST_STATS_RETRIEVE", true, true, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		_, err := c.PostStats(ctx, tok, post)
		return err
	}},
	{"ImageUploadURL", "Post_GetImageUploadURL", "UPLOAD_POST_IMAGE", false, true, func(ctx context.Context, c *divar.Client, _ oauth2.TokenSource) error {
		u, err := c.ImageUploadURL(ctx)
		if err == nil && u == "" {
			return errors.New("no URL")
		}
		return err
	}},
	{"UploadURLs", "Post_GetUploadURLsV2", "UPLOAD_POST_IMAGE", false, true, func(ctx context.Context, c *divar.Client, _ oauth2.TokenSource) error {
		_, err := c.UploadURLs(ctx)
		return err
	}},
	{"MediaUploadURLs", "Assets_GetMediaUploadURLs", "", false, true, func(ctx context.Context, c *divar.Client, _ oauth2.TokenSource) error {
		_, err := c.MediaUploadURLs(ctx)
		return err
	}},
	{"SetPostButton", "Post_SetPostCustomizedButton", "SET_CUSTOMIZED_BUTTON", true, true, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		return c.SetPostButton(ctx, tok, post, button)
	}},
	{"DeletePostButton", "Post_DeletePostCustomizedButton", "SET_CUSTOMIZED_BUTTON", true, true, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		return c.DeletePostButton(ctx, tok, post)
	}},
	{"SetBusinessButton", "Post_CreateBusinessCustomizedButton", "BUSINESS_CUSTOMIZED_BUTTON_CREATE", true, true, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		return c.SetBusinessButton(ctx, tok, business, button)
	}},
	{"DeleteBusinessButton", "Post_DeleteBusinessCustomizedButton", "BUSINESS_CUSTOMIZED_BUTTON_CREATE", false, true, func(ctx context.Context, c *divar.Client, _ oauth2.TokenSource) error {
		return c.DeleteBusinessButton(ctx, business)
	}},
	{"CreatePostSemantic", "Semantic_CreatePostSemantic", "POST_SEMANTIC_CREATE", true, false, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		return c.CreatePostSemantic(ctx, tok, post, divarapi.SemanticCreatePostSemanticBody{Semantic: map[string]string{"vin_hash": "ab12"}})
	}},
	{"CreateUserSemantic", "Semantic_CreateUserSemantic", "USER_SEMANTIC_CREATE", true, false, func(ctx context.Context, c *divar.Client, tok oauth2.TokenSource) error {
		_, err := c.CreateUserSemantic(ctx, tok, divarUID, divarapi.SemanticCreateUserSemanticBody{Phone: phone, Semantic: map[string]string{"verified": "true"}})
		return err
	}},
	{"DeleteUserSemantic", "Semantic_DeleteUserSemantic", "USER_SEMANTIC_DELETE", false, true, func(ctx context.Context, c *divar.Client, _ oauth2.TokenSource) error {
		return c.DeleteUserSemantic(ctx, divarUID, phone)
	}},
}

// typedFake is a fake Divar where every typed call succeeds with the
// token "tok": its post, conversation and user exist.
func typedFake(t *testing.T) *divartest.API {
	api := divartest.NewAPI(t)
	api.Token("tok", allScopes...)
	api.Token("bare") // valid, no scope
	api.SetUser("tok", divar.User{ID: divarUID, PhoneNumber: phone})
	api.AddPost("tok", divar.Post{Token: post, Category: "apartment-sell", City: "tehran", State: "PUBLISHED", Data: map[string]any{"title": "آپارتمان"}})
	api.Conversation(conv, post)
	return api
}

// Every typed call is accepted by the fake, and each of Divar's refusals
// is its typed error: 401, 403 for the key's permission and for the
// token's scope, 404, 429 with its Retry-After, 5xx (retried only where
// sending twice is safe).
func TestEveryTypedCallAndItsRefusals(t *testing.T) {
	ctx := context.Background()
	for _, tc := range typedCalls {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("accepted", func(t *testing.T) {
				api := typedFake(t)
				c, _ := newClient(t, api, divar.Config{})
				if err := tc.call(ctx, c, user("tok")); err != nil {
					t.Fatal(err)
				}
			})
			refused := func(t *testing.T, setup func(*divartest.API), cfg divar.Config, tok string, is error, status int) *divartest.API {
				t.Helper()
				api := typedFake(t)
				if setup != nil {
					setup(api)
				}
				cfg.MaxRetries = -1
				c, _ := newClient(t, api, cfg)
				err := tc.call(ctx, c, user(tok))
				var e *divar.APIError
				if !errors.Is(err, is) || !errors.As(err, &e) || e.StatusCode != status {
					t.Fatalf("err = %v, want %d, errors.Is %v", err, status, is)
				}
				if strings.Contains(err.Error(), divartest.APIKey) || strings.Contains(err.Error(), "Bearer") {
					t.Fatalf("a secret in %v", err)
				}
				return api
			}
			t.Run("401 wrong API key", func(t *testing.T) {
				refused(t, func(a *divartest.API) { a.SetAPIKey("another-key") }, divar.Config{}, "tok", divar.ErrUnauthorized, 401)
			})
			if tc.permission != "" {
				t.Run("403 permission", func(t *testing.T) {
					refused(t, func(a *divartest.API) { a.Deny(tc.permission) }, divar.Config{}, "tok", divar.ErrForbidden, 403)
				})
			}
			if tc.user {
				t.Run("403 scope", func(t *testing.T) {
					refused(t, nil, divar.Config{}, "bare", divar.ErrForbidden, 403)
				})
				t.Run("no token, not sent", func(t *testing.T) {
					api := typedFake(t)
					c, _ := newClient(t, api, divar.Config{})
					if err := tc.call(ctx, c, nil); !errors.Is(err, divar.ErrNoToken) && !errors.Is(err, dedupe.ErrNotSent) {
						t.Fatalf("err = %v", err)
					}
				})
			}
			t.Run("404", func(t *testing.T) {
				refused(t, func(a *divartest.API) {
					a.FailNext(1, divartest.Fault{Status: 404, Code: 5, Message: "not found"}.On(tc.fakeOp))
				}, divar.Config{}, "tok", divar.ErrNotFound, 404)
			})
			t.Run("429 with Retry-After", func(t *testing.T) {
				api := typedFake(t)
				api.FailNext(1, divartest.TooManyRequests(30*time.Second).On(tc.fakeOp))
				c, _ := newClient(t, api, divar.Config{})
				err := tc.call(ctx, c, user("tok"))
				var e *divar.APIError
				if !errors.Is(err, divar.ErrRateLimited) || !errors.As(err, &e) || e.RetryAfter != 30*time.Second {
					t.Fatalf("err = %v: a Retry-After beyond MaxBackoff is returned at once", err)
				}
				api.FailNext(1, divartest.TooManyRequests(0).On(tc.fakeOp))
				if err := tc.call(ctx, c, user("tok")); err != nil {
					t.Fatalf("a 429 is retried: %v", err)
				}
			})
			t.Run("5xx", func(t *testing.T) {
				api := typedFake(t)
				api.FailNext(1, divartest.ServerError(503).On(tc.fakeOp))
				c, _ := newClient(t, api, divar.Config{MaxRetries: 1})
				err := tc.call(ctx, c, user("tok"))
				if tc.idempotent && err != nil {
					t.Fatalf("an idempotent call is retried after a 503: %v", err)
				}
				if !tc.idempotent && !errors.Is(err, divar.ErrDivarUnavailable) {
					t.Fatalf("err = %v: a call not safe to repeat is not retried after a 503", err)
				}
			})
		})
	}
}

// Natural 404s of the fake: objects that do not exist for the caller.
func TestTypedCallsNotFound(t *testing.T) {
	ctx := context.Background()
	api := typedFake(t)
	api.Token("other", "CHAT_CONVERSATION_READ.other-conv")
	c, _ := newClient(t, api, divar.Config{})
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"a user add-on never created", func() error { return c.DeleteUserAddon(ctx, "user-addon-999") }},
		{"a conversation unknown", func() error { _, err := c.Conversation(ctx, user("other"), "other-conv"); return err }},
		{"a post of another user", func() error { _, err := c.UserPost(ctx, user("tok"), "Other123"); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, divar.ErrNotFound) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// What the typed calls send is what Divar's description names.
func TestTypedCallsSendTheDescriptionsBodies(t *testing.T) {
	ctx := context.Background()
	api := typedFake(t)
	c, _ := newClient(t, api, divar.Config{})
	id, err := c.CreateUserAddon(ctx, user("tok"), divarUID, divarapi.AddonsCreateUserAddonV2Body{
		Widgets: &[]divarapi.AddonsWidget{title("وضعیت خودرو")}, Categories: &[]string{"light"},
	})
	if err != nil || id == "" {
		t.Fatal(id, err)
	}
	got := api.Received("Addons_CreateUserAddonV2")
	if len(got) != 1 || got[0].Path != "/v2/open-platform/addons/users/"+divarUID ||
		string(got[0].Body) != `{"categories":["light"],"widgets":[{"title_row":{"text":"وضعیت خودرو"}}]}` {
		t.Fatalf("received %+v", got)
	}
	if err := c.SetPostButton(ctx, user("tok"), post, button); err != nil {
		t.Fatal(err)
	}
	if got := api.Received("Post_SetPostCustomizedButton"); len(got) != 1 ||
		string(got[0].Body) != `{"customized_button":{"action":{"open_direct_link":"https://addon.example.com/call"},"type":"ONLINE_CALL"}}` {
		t.Fatalf("received %+v", got)
	}
}

// Divar asks for the media upload URLs once a day: the client asks once
// and again only after 24 hours.
func TestMediaUploadURLsKeptADay(t *testing.T) {
	ctx := context.Background()
	api := typedFake(t)
	c, _ := newClient(t, api, divar.Config{})
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	divar.SetClock(c, func() time.Time { return now })
	for range 3 {
		u, err := c.MediaUploadURLs(ctx)
		if err != nil || u.AddonImages == nil || deref(u.AddonImages.Url) == "" {
			t.Fatal(u, err)
		}
	}
	if n := api.CallsTo("Assets_GetMediaUploadURLs"); n != 1 {
		t.Fatalf("%d requests within a day, want 1", n)
	}
	now = now.Add(24*time.Hour - time.Second)
	c.MediaUploadURLs(ctx)
	now = now.Add(time.Second)
	c.MediaUploadURLs(ctx)
	if n := api.CallsTo("Assets_GetMediaUploadURLs"); n != 2 {
		t.Fatalf("%d requests after a day, want 2", n)
	}
	// A failure is not kept.
	now = now.Add(25 * time.Hour)
	api.FailNext(4, divartest.ServerError(500).On("Assets_GetMediaUploadURLs"))
	if _, err := c.MediaUploadURLs(ctx); !errors.Is(err, divar.ErrDivarUnavailable) {
		t.Fatal(err)
	}
	if _, err := c.MediaUploadURLs(ctx); err != nil {
		t.Fatal(err)
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// A chat file goes to Divar's upload host with an upload token, and its
// media token into a message; what Divar would refuse for its size is
// refused before anything is sent.
func TestUploadChatMedia(t *testing.T) {
	ctx := context.Background()
	api := typedFake(t)
	c, _ := newClient(t, api, divar.Config{})
	img := bytes.Repeat([]byte{0xff}, 1000)
	token, err := c.UploadChatMedia(ctx, divar.MediaImage, "photo.jpg", bytes.NewReader(img), int64(len(img)))
	if err != nil || !strings.HasPrefix(token, "media-image-") {
		t.Fatal(token, err)
	}
	if err := c.SendMessage(ctx, user("tok"), conv, sdk.ChatMedia(token)); err != nil {
		t.Fatal(err)
	}
	if m := api.Messages(conv); len(m) != 1 || m[0].MediaToken != token || m[0].Message != "" {
		t.Fatalf("messages %+v", m)
	}
	for _, tc := range []struct {
		name string
		kind divar.MediaKind
		size int64
		body int
		want string
	}{
		{"voice over 1.5 MB", divar.MediaVoice, 1_500_001, 0, "over the 1500000 bytes Divar accepts for voice"},
		{"image over 5 MB", divar.MediaImage, 5_000_001, 0, "over the 5000000 bytes"},
		{"video over 50 MB", divar.MediaVideo, 50_000_001, 0, "over the 50000000 bytes"},
		{"unknown kind", "gif", 10, 10, `"gif" is not image, file, voice or video`},
		{"shorter than said", divar.MediaFile, 10, 9, "is not 10 bytes long as said"},
		{"longer than said", divar.MediaFile, 10, 11, "is not 10 bytes long as said"},
		{"empty", divar.MediaFile, 0, 0, "file: is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(api.Calls())
			_, err := c.UploadChatMedia(ctx, tc.kind, "f", bytes.NewReader(make([]byte, tc.body)), tc.size)
			if !errors.Is(err, sdk.ErrInvalidAnswer) || !errors.Is(err, dedupe.ErrNotSent) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if n := len(api.Calls()); n != before {
				t.Fatalf("%d requests sent", n-before)
			}
		})
	}
	t.Run("the limit itself is accepted", func(t *testing.T) {
		v := make([]byte, divar.MediaVoice.MaxSize())
		if _, err := c.UploadChatMedia(ctx, divar.MediaVoice, "v.m4a", bytes.NewReader(v), int64(len(v))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the upload token is refused (last: the key keeps the denial)", func(t *testing.T) {
		api.Deny("CHAT_UPLOAD_MEDIA")
		if _, err := c.UploadChatMedia(ctx, divar.MediaImage, "p.jpg", bytes.NewReader(img), int64(len(img))); !errors.Is(err, divar.ErrForbidden) {
			t.Fatal(err)
		}
	})
}

// The escape hatch sends any request with the client's key, retries and
// typed errors.
func TestDo(t *testing.T) {
	ctx := context.Background()
	api := typedFake(t)
	c, _ := newClient(t, api, divar.Config{})
	t.Run("an operation of the description", func(t *testing.T) {
		var out divarapi.FinderGetUserBusinessesResponse
		if err := c.Do(ctx, divar.Request{Path: "/v1/open-platform/user/businesses", User: user("tok")}, &out); err != nil || out.Businesses == nil {
			t.Fatal(out, err)
		}
	})
	t.Run("its OAuth required", func(t *testing.T) {
		err := c.Do(ctx, divar.Request{Path: "/v1/open-platform/user/businesses"}, nil)
		if !errors.Is(err, divar.ErrNoToken) || !strings.Contains(err.Error(), "Finder_GetUserBusinesses") {
			t.Fatal(err)
		}
	})
	t.Run("a body the description refuses is not sent", func(t *testing.T) {
		before := len(api.Calls())
		err := c.Do(ctx, divar.Request{Method: "POST", Path: "/v2/open-platform/conversations/" + conv + "/messages", User: user("tok"),
			Body: []byte(`{"message":"x","media_token":"m"}`)}, nil)
		if !errors.Is(err, sdk.ErrInvalidAnswer) || !errors.Is(err, dedupe.ErrNotSent) || len(api.Calls()) != before {
			t.Fatal(err)
		}
	})
	t.Run("a GET is retried after a 5xx", func(t *testing.T) {
		api.FailNext(1, divartest.ServerError(502).On("Finder_GetUserBusinesses"))
		if err := c.Do(ctx, divar.Request{Path: "/v1/open-platform/user/businesses", User: user("tok")}, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a POST is not retried after a 5xx", func(t *testing.T) {
		api.FailNext(1, divartest.ServerError(502).On("Semantic_CreatePostSemantic"))
		err := c.Do(ctx, divar.Request{Method: "POST", Path: "/experimental/open-platform/semantic/post/" + post, User: user("tok"),
			Body: map[string]any{"semantic": map[string]string{"a": "b"}}}, nil)
		if !errors.Is(err, divar.ErrDivarUnavailable) {
			t.Fatal(err)
		}
	})
	t.Run("a path Divar's description lacks", func(t *testing.T) {
		err := c.Do(ctx, divar.Request{Path: "/v9/open-platform/new-thing"}, nil)
		var e *divar.APIError
		if !errors.As(err, &e) || e.Operation != "GET /v9/open-platform/new-thing" || !errors.Is(err, divar.ErrNotFound) {
			t.Fatal(err)
		}
	})
	t.Run("a path that is not one", func(t *testing.T) {
		for _, p := range []string{"v1/x", "/v1/x?y=1", "/v1/../admin"} {
			if err := c.Do(ctx, divar.Request{Path: p}, nil); !errors.Is(err, dedupe.ErrNotSent) {
				t.Errorf("%q: %v", p, err)
			}
		}
	})
}

// The client, its description and its media cache are shared by
// concurrent calls (run with -race).
func TestTypedCallsConcurrently(t *testing.T) {
	ctx := context.Background()
	api := typedFake(t)
	c, _ := newClient(t, api, divar.Config{})
	errs := make(chan error, 24)
	for i := range cap(errs) {
		go func() {
			var err error
			switch i % 3 {
			case 0:
				err = c.SendMessage(ctx, user("tok"), conv, sdk.ChatText("x"))
			case 1:
				_, err = c.MediaUploadURLs(ctx)
			case 2:
				_, err = c.UserBusinesses(ctx, user("tok"))
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := api.CallsTo("Assets_GetMediaUploadURLs"); n != 1 {
		t.Errorf("%d requests for the media URLs, want 1", n)
	}
}
