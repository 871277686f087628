package divartest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// The departures of issue 20 from Divar, each seen on the wire against
// Divar's own Go client and Stoplight Prism serving Divar's description,
// each with its test.

const (
	post = "gZd7omnS"
	conv = "edbb9499-cccc-4d35-b21f-621fa95f2b3e"
)

// send calls the fake API with the app's key and, if token is set, the
// user's token; it returns the status and the answer.
func send(t *testing.T, api *divartest.API, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, api.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", divartest.APIKey)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s answered %d, not a JSON object: %q", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

type sent struct {
	name, method, path, token, body string
	status                          int
	want                            string // in the answer's message, for a refusal
}

func (tc sent) check(t *testing.T, api *divartest.API) map[string]any {
	t.Helper()
	status, out := send(t, api, tc.method, tc.path, tc.token, tc.body)
	msg, _ := out["message"].(string)
	if status != tc.status || !strings.Contains(msg, tc.want) {
		t.Errorf("%d %v\nwant %d with %q", status, out, tc.status, tc.want)
	}
	return out
}

func chatAPI(t *testing.T) *divartest.API {
	api := divartest.NewAPI(t)
	api.Token("tok", "CONVERSATION_SEND_MESSAGE."+conv, "POST_ADDON_CREATE."+post)
	return api
}

const (
	convPath = "/v2/open-platform/conversations/" + conv + "/messages"
	botPath  = "/v1/open-platform/chat/bot/conversations/" + conv + "/messages"
)

func TestDepartureOpenServerLinkWithoutDataIsAccepted(t *testing.T) {
	api := chatAPI(t)
	for _, tc := range []sent{
		{name: "a chat button", method: "POST", path: convPath, token: "tok", status: 200,
			body: `{"message":"x","sender_buttons":{"rows":[{"buttons":[{"action":{"open_server_link":{}},"caption":"c","icon":"ADD"}]}]}}`},
		{name: "a bot button", method: "POST", path: botPath, status: 200,
			body: `{"text_message":"x","buttons":{"rows":[{"buttons":[{"action":{"open_server_link":{}},"caption":"c"}]}]}}`},
		{name: "a selector row of a post add-on", method: "POST", path: "/v2/open-platform/addons/post/" + post, token: "tok", status: 200,
			body: `{"widgets":[{"selector_row":{"title":"t","action":{"open_server_link":{}}}}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, api) })
	}
}

func TestDepartureMessageIsTextOrMediaNotBoth(t *testing.T) {
	api := chatAPI(t)
	for _, tc := range []sent{
		{name: "chat: media only", method: "POST", path: convPath, token: "tok", body: `{"media_token":"m1"}`, status: 200},
		{name: "chat: text only", method: "POST", path: convPath, token: "tok", body: `{"message":"x"}`, status: 200},
		{name: "chat: text and media", method: "POST", path: convPath, token: "tok", body: `{"message":"x","media_token":"m1"}`, status: 400, want: "body"},
		{name: "chat: neither", method: "POST", path: convPath, token: "tok", body: `{}`, status: 400, want: "body"},
		{name: "bot: media only", method: "POST", path: botPath, body: `{"media_token":"m1"}`, status: 200},
		{name: "bot: text and media", method: "POST", path: botPath, body: `{"text_message":"x","media_token":"m1"}`, status: 400, want: "body"},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, api) })
	}
}

func TestDepartureIconNamesAreDivarsEnum(t *testing.T) {
	api := chatAPI(t)
	button := func(icon string) string {
		return `{"message":"x","sender_buttons":{"rows":[{"buttons":[{"action":{"open_direct_link":"https://example.com"},"caption":"c","icon":"` + icon + `"}]}]}}`
	}
	for _, tc := range []sent{
		{name: "an icon of the enum", method: "POST", path: convPath, token: "tok", body: button("CAR_INSPECTED"), status: 200},
		{name: "a well-formed name not in the enum", method: "POST", path: convPath, token: "tok", body: button("NOT_AN_ICON"), status: 400,
			want: "/sender_buttons/rows/0/buttons/0/icon"},
		{name: "the docs' own REAL_STATE, not in the enum", method: "POST", path: convPath, token: "tok", body: button("REAL_STATE"), status: 400,
			want: "/sender_buttons/rows/0/buttons/0/icon"},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, api) })
	}
}

func TestDepartureGetPostAnswersEveryFieldGivenAndNoEmptyState(t *testing.T) {
	api := divartest.NewAPI(t)
	at := time.Date(2024, 10, 20, 13, 12, 6, 0, time.UTC)
	api.AddPost("", divar.Post{Token: post, Category: "light", State: "PUBLISHED", SupplierChatAssistantEnabled: true,
		FirstPublishedAt: at, LastModifiedAt: at.Add(time.Hour), BusinessName: "shop", BusinessType: "REAL_ESTATE"})
	api.AddPost("", divar.Post{Token: "NoState1", Category: "light"})
	_, out := send(t, api, "GET", "/v1/open-platform/finder/post/"+post, "", "")
	for name, want := range map[string]any{
		"supplier_chat_assistant_enabled": true,
		"last_modified_at":                "2024-10-20T14:12:06Z",
		"business_data":                   map[string]any{"business_name": "shop", "business_type": "REAL_ESTATE"},
		"state":                           "PUBLISHED",
	} {
		got, _ := json.Marshal(out[name], json.Deterministic(true))
		w, _ := json.Marshal(want, json.Deterministic(true))
		if string(got) != string(w) {
			t.Errorf("%s = %s, want %s", name, got, w)
		}
	}
	if _, out := send(t, api, "GET", "/v1/open-platform/finder/post/NoState1", "", ""); out["state"] != nil {
		t.Errorf("a post given no state answers state %q; Divar's enum has no empty state", out["state"])
	}
}

func TestDepartureGetUserPostsNeedsItsPermission(t *testing.T) {
	api := divartest.NewAPI(t)
	api.Token("tok", "USER_POSTS_GET")
	tc := sent{method: "GET", path: "/v1/open-platform/finder/user-posts", token: "tok", status: 200}
	tc.check(t, api)
	api.Deny("GET_USER_POSTS")
	tc.status, tc.want = 403, "GET_USER_POSTS"
	tc.check(t, api)
}

func TestDepartureSubscriptionScopeFitsItsEventType(t *testing.T) {
	api := divartest.NewAPI(t)
	api.Token("post-read", "CHAT_POST_CONVERSATIONS_READ."+post)
	api.Token("all-read", "CHAT_SUPPLIER_ALL_CONVERSATIONS_READ")
	api.Token("posts-get", "USER_POSTS_GET")
	sub := func(typ, resource string) string {
		return `{"event_type":"` + typ + `","event_resource_id":"` + resource + `"}`
	}
	const path = "/v1/open-platform/events/subscriptions"
	for _, tc := range []sent{
		{name: "new messages on a post, with that post's read scope", token: "post-read", body: sub("NEW_MESSAGE_ON_POST", post), status: 200},
		{name: "new messages on a post, with all conversations' read scope", token: "all-read", body: sub("NEW_MESSAGE_ON_POST", post), status: 200},
		{name: "new messages on all posts, with all conversations' read scope", token: "all-read", body: sub("NEW_MESSAGE_ON_POST", ""), status: 200},
		{name: "new messages on another post, with one post's read scope", token: "post-read", body: sub("NEW_MESSAGE_ON_POST", "Other123"), status: 403,
			want: "CHAT_POST_CONVERSATIONS_READ.Other123"},
		{name: "new messages, with USER_POSTS_GET", token: "posts-get", body: sub("NEW_MESSAGE_ON_POST", post), status: 403, want: "CHAT_SUPPLIER_ALL_CONVERSATIONS_READ"},
		{name: "post updates, with USER_POSTS_GET", token: "posts-get", body: sub("POST_UPDATE", ""), status: 200},
		{name: "post updates, with a chat read scope", token: "all-read", body: sub("POST_UPDATE", ""), status: 403, want: "USER_POSTS_GET"},
	} {
		tc.method, tc.path = "POST", path
		t.Run(tc.name, func(t *testing.T) { tc.check(t, api) })
	}
}

func TestDepartureBotMessageToAUserOnlyToTheTokensOwnUser(t *testing.T) {
	api := divartest.NewAPI(t)
	api.Token("tok", "CHAT_BOT_USER_MESSAGE_SEND")
	api.SetUser("tok", divar.User{ID: "u1"})
	for _, tc := range []sent{
		{name: "to the token's user", path: "/v1/open-platform/chat/bot/users/u1/messages", token: "tok", status: 200},
		{name: "to another user", path: "/v1/open-platform/chat/bot/users/u2/messages", token: "tok", status: 403, want: "u2"},
		{name: "without a token", path: "/v1/open-platform/chat/bot/users/u1/messages", status: 401, want: "Bearer"},
	} {
		tc.method, tc.body = "POST", `{"text_message":"سلام"}`
		t.Run(tc.name, func(t *testing.T) { tc.check(t, api) })
	}
	if got := api.BotMessages(divartest.BotConversation("u2")); len(got) != 0 {
		t.Errorf("user u2 got %v", got)
	}
}

func TestDepartureUserIDOnlyWithTheUSER_IDScope(t *testing.T) {
	api := divartest.NewAPI(t)
	api.Token("phone", "USER_PHONE")
	api.Token("id", "USER_ID")
	for _, tok := range []string{"phone", "id"} {
		api.SetUser(tok, divar.User{ID: "u1", PhoneNumber: "09120000000"})
	}
	for _, tc := range []struct {
		token         string
		userID, phone bool
	}{{"phone", false, true}, {"id", true, false}} {
		t.Run(tc.token, func(t *testing.T) {
			_, out := send(t, api, "GET", "/v1/open-platform/users", tc.token, "")
			if _, ok := out["user_id"]; ok != tc.userID {
				t.Errorf("user_id answered: %v, want %v (%v)", ok, tc.userID, out)
			}
			if _, ok := out["phone_number"]; ok != tc.phone {
				t.Errorf("phone_number answered: %v, want %v (%v)", ok, tc.phone, out)
			}
		})
	}
}

func TestDepartureWrongMethodOnAKnownPathIs405(t *testing.T) {
	api := chatAPI(t)
	for _, tc := range []sent{
		{name: "GET a message", method: "GET", path: convPath, status: 405, want: "method not allowed"},
		{name: "PATCH a post add-on", method: "PATCH", path: "/v2/open-platform/addons/post/" + post, status: 405, want: "method not allowed"},
		{name: "DELETE a subscription", method: "DELETE", path: "/v1/open-platform/events/subscriptions", status: 405, want: "method not allowed"},
		{name: "an unknown path", method: "GET", path: "/v1/open-platform/nothing", status: 404, want: "no operation"},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, api) })
	}
}

func divarPost(token string) divar.Post { return divar.Post{Token: token, Category: "light"} }
