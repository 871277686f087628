package divar

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kenarkit/kenarkit/gen/divarapi"
	"github.com/kenarkit/kenarkit/sdk"
)

// Divar's prose rules, as kenarkit's overlay writes them into Divar's
// description (api/divar/overlay.yaml, each citing its page), refuse a
// request before it is sent, naming the field; what the description
// allows goes through.
func TestDescriptionRules(t *testing.T) {
	const (
		addon = "/v2/open-platform/addons/post/gZd7omnS"
		msg   = "/v2/open-platform/conversations/c1/messages"
	)
	row := `{"buttons":[{"caption":"a","action":{"open_direct_link":"https://a.example"}}]}`
	for _, tc := range []struct {
		name, path, body string
		want             string // "" when accepted
	}{
		{"title of 49 characters", addon, `{"widgets":[{"title_row":{"text":"` + strings.Repeat("ب", 49) + `"}}]}`, ""},
		{"title of 50 characters (docs/widgets/title_row.md)", addon, `{"widgets":[{"title_row":{"text":"` + strings.Repeat("ب", 50) + `"}}]}`, "/widgets/0/title_row/text: "},
		{"an icon of Divar's enum", addon, `{"widgets":[{"selector_row":{"title":"t","icon_name":"ADD"}}]}`, ""},
		{"an icon name Divar does not list", addon, `{"widgets":[{"selector_row":{"title":"t","icon_name":"NOT_AN_ICON"}}]}`, "/widgets/0/selector_row/icon_name: is not one of the values"},
		{"a percentage over 100 (docs/widgets/score_row.md)", addon, `{"widgets":[{"score_row":{"title":"t","percentage_score":101}}]}`, "/widgets/0/score_row/percentage_score"},
		{"one item in a group (docs/widgets/group_info_row.md)", addon, `{"widgets":[{"group_info_row":{"items":[{"title":"a","value":"b"}]}}]}`, "/widgets/0/group_info_row/items"},
		{"open_server_link without data", addon, `{"widgets":[{"button_bar":{"title":"t","action":{"open_server_link":{}}}}]}`, ""},
		{"a text", msg, `{"message":"سلام"}`, ""},
		{"a media token alone (docs/chat/upload_media.md)", msg, `{"media_token":"m1"}`, ""},
		{"a text and a media token", msg, `{"message":"x","media_token":"m1"}`, "body: sets a combination of fields Divar refuses"},
		{"neither", msg, `{"sender_buttons":{"rows":[` + row + `]}}`, "body: sets a combination"},
		{"3 x 3 buttons", msg, `{"message":"x","sender_buttons":{"rows":[` + strings.Repeat(`{"buttons":[{"caption":"a"},{"caption":"b"},{"caption":"c"}]},`, 2) + `{"buttons":[{"caption":"a"}]}]}}`, ""},
		{"4 rows (docs/chat/users_conversations.md)", msg, `{"message":"x","sender_buttons":{"rows":[` + strings.Repeat(row+",", 3) + row + `]}}`, "/sender_buttons/rows: "},
		{"4 buttons in a row", msg, `{"message":"x","receiver_buttons":{"rows":[{"buttons":[{"caption":"a"},{"caption":"b"},{"caption":"c"},{"caption":"d"}]}]}}`, "/receiver_buttons/rows/0/buttons: "},
		{"a chat button's icon Divar does not list", msg, `{"message":"x","sender_buttons":{"rows":[{"buttons":[{"caption":"a","icon":"NOPE"}]}]}}`, "/sender_buttons/rows/0/buttons/0/icon: is not one of the values"},
		{"a button's open_server_link without data", msg, `{"message":"x","sender_buttons":{"rows":[{"buttons":[{"caption":"a","action":{"open_server_link":{}}}]}]}}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "https://open-api.divar.ir"+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", jsonType)
			_, err := checkRequest(req, "", []byte(tc.body))
			// The compiled engine says what kin-openapi says, in the same words.
			d, params := operation(req.Method, tc.path)
			if !d.compiled {
				t.Fatalf("%s is checked by kin-openapi, not compiled", d.id)
			}
			route, rerr := d.kinRoute()
			if rerr != nil {
				t.Fatal(rerr)
			}
			if kin := validateRequest(req, "", []byte(tc.body), route, params); fmt.Sprint(kin) != fmt.Sprint(err) {
				t.Fatalf("compiled: %v\nkin-openapi: %v", err, kin)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, sdk.ErrInvalidAnswer) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "NOT_AN_ICON") || strings.Contains(err.Error(), "NOPE") {
				t.Fatalf("the value is repeated: %v", err)
			}
		})
	}
}

// Each operation a typed call sends is checked on the compiled engine
// (internal/validate), not by kin-openapi per call: those whose
// parameters are in the path, with a JSON body or none.
func TestTypedCallsAreCompiled(t *testing.T) {
	c, err := description()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{
		"Addons_CreatePostAddonV2", "Addons_DeletePostAddon", "ChatAPI_ConversationSendMessage",
		"ChatAPI_ChatBotSendMessage", "ChatAPI_ChatBotSendMessage2", "Events_RegisterEventSubscription",
		"Finder_GetUser", "Finder_GetPost", "Finder_GetUserPosts", "Finder_GetUserBusinesses",
		"Addons_CreateUserAddonV2", "Addons_CreateBusinessAddon", "Post_SetPostCustomizedButton",
		"Semantic_CreatePostSemantic", "Payment_SubmitUserPayment", "ChatAPI_GenerateUploadToken",
	} {
		d := c.ops[id]
		if d == nil {
			t.Errorf("%s is not in the description", id)
			continue
		}
		route, err := d.kinRoute()
		if err != nil {
			t.Fatal(err)
		}
		if !d.compiled || (route.Operation.RequestBody != nil && d.body == nil) {
			t.Errorf("%s is not compiled", id)
		}
	}
	// An operation with query parameters is left to kin-openapi.
	if d := c.ops["Semantic_DeleteUserSemantic"]; d == nil || d.compiled {
		t.Errorf("Semantic_DeleteUserSemantic (a query parameter) is compiled")
	}
}

// A bot message into an existing conversation needs only the API key
// (CHAT_BOT_SEND_MESSAGE, docs/chat/chatbot_conversations.md); to a user
// it needs that user's OAuth token (CHAT_BOT_USER_MESSAGE_SEND), as do
// the operations whose every security requirement has OAuth.
func TestWhoseTokenACallNeeds(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		user         bool
	}{
		{"POST", "/v1/open-platform/chat/bot/conversations/c1/messages", false},
		{"POST", "/v1/open-platform/chat/bot/users/u1/messages", true},
		{"POST", "/v2/open-platform/conversations/c1/messages", true},
		{"GET", "/v1/open-platform/finder/post/gZd7omnS", false},
		{"GET", "/v1/open-platform/users", true},
		{"DELETE", "/v1/open-platform/addons/user/a1", false},
		{"GET", "/v9/not-in-the-description", false},
	} {
		req, _ := http.NewRequest(tc.method, "https://open-api.divar.ir"+tc.path, nil)
		if got, _ := checkRequest(req, "", nil); got != tc.user {
			t.Errorf("%s %s: user token required = %v, want %v", tc.method, tc.path, got, tc.user)
		}
	}
}

// A path parameter with characters a URL escapes is routed to its
// operation and checked, under a base URL with a path of its own.
func TestCheckedUnderABasePath(t *testing.T) {
	body := `{"message":"x","media_token":"m"}`
	req, _ := http.NewRequest(http.MethodPost, "https://proxy.example/divar/v2/open-platform/conversations/a%3Fb%2Fc/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", jsonType)
	needsUser, err := checkRequest(req, "/divar/", []byte(body))
	if !needsUser || !errors.Is(err, sdk.ErrInvalidAnswer) {
		t.Fatalf("needsUser %v, err %v: not routed to ChatAPI_ConversationSendMessage", needsUser, err)
	}
}

// The client puts each typed call's URL together from the description's
// path instead of parsing one; it is the URL gen/divarapi's builder makes,
// for every operation, base URL and parameter (escaped as a path segment).
func TestRequestURLsAreGenerated(t *testing.T) {
	cat, err := description()
	if err != nil {
		t.Fatal(err)
	}
	for _, base := range urlBases {
		c, err := NewClient(Config{APIKey: "k", BaseURL: base})
		if err != nil {
			t.Fatal(err)
		}
		for _, param := range []string{"gZd7omnS", "a b/c?d#e%f;g", "سلام", "..x"} {
			for id, d := range cat.ops {
				if err := generatedURL(c, base, id, d, param); err != nil {
					t.Error(err)
				}
			}
		}
	}
	// And the two calls BenchmarkClient measures, against their builders
	// given the client's server (the base as a directory).
	c, _ := NewClient(Config{APIKey: "k", BaseURL: "https://proxy.example/divar"})
	if c.server != "https://proxy.example/divar/" {
		t.Fatalf("server = %q", c.server)
	}
	for _, tc := range []struct {
		r   request
		gen func(string) (*http.Request, error)
	}{
		{request{op: "ChatAPI_ConversationSendMessage", params: []string{"a/b c"}, body: []byte(`{}`)}, func(s string) (*http.Request, error) {
			return divarapi.NewChatAPIConversationSendMessageRequestWithBody(s, "a/b c", jsonType, strings.NewReader(`{}`))
		}},
		{request{op: "Finder_GetUserBusinesses"}, divarapi.NewFinderGetUserBusinessesRequest},
	} {
		got, err := c.newRequest(&tc.r)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := tc.gen(c.server)
		if got.URL.String() != want.URL.String() || got.Method != want.Method || got.Header.Get("Content-Type") != want.Header.Get("Content-Type") || got.ContentLength != want.ContentLength {
			t.Errorf("%s: %s %s %q %d, want %s %s %q %d", tc.r.op, got.Method, got.URL, got.Header.Get("Content-Type"), got.ContentLength, want.Method, want.URL, want.Header.Get("Content-Type"), want.ContentLength)
		}
	}
}

// A path parameter that is a dot segment is refused, not resolved away.
func TestDotSegmentRefused(t *testing.T) {
	c, _ := NewClient(Config{APIKey: "k"})
	for _, p := range []string{".", ".."} {
		if _, err := c.newRequest(&request{op: "Finder_GetPost", params: []string{p}}); !errors.Is(err, sdk.ErrInvalidAnswer) {
			t.Errorf("%q: err = %v", p, err)
		}
	}
}

// urlBases are base URLs with and without a path, a '/', a query, an escape.
var urlBases = []string{"https://open-api.divar.ir", "http://127.0.0.1:8080/", "https://proxy.example/divar/", "https://proxy.example/divar", "https://proxy.example/divar/?x=1", "https://proxy.example/a%2Fb"}

// generatedURL holds c's request for the operation id (d), param in each
// of its path parameters, to what gen/divarapi's New…Request makes under
// base: method, URL, path, host and request line.
func generatedURL(c *Client, base, id string, d *described, param string) error {
	if !d.compiled {
		return nil
	}
	params := make([]string, len(d.names))
	path := d.pieces[0]
	for i := range d.names {
		params[i] = param
		path += url.PathEscape(param) + d.pieces[i+1]
	}
	// What gen/divarapi's New…Request does, given the base as a directory
	// (ending in '/': its last segment is a prefix too, TestBaseURLPrefix).
	server, _ := url.Parse(base)
	if !strings.HasSuffix(server.Path, "/") {
		server.Path, server.RawPath = server.Path+"/", server.RawPath+"/"
	}
	want, err := server.Parse("." + path)
	if err != nil {
		return err
	}
	wantReq, err := http.NewRequest(d.method, want.String(), nil)
	if err != nil {
		return err
	}
	got, err := c.newRequest(&request{op: id, params: params})
	if err != nil {
		return fmt.Errorf("%s: %v", id, err)
	}
	if got.URL.String() != wantReq.URL.String() || got.URL.Path != wantReq.URL.Path || got.Method != wantReq.Method || got.Host != wantReq.Host || got.URL.RequestURI() != wantReq.URL.RequestURI() {
		return fmt.Errorf("%s under %s: %s %s (host %s), want %s %s (host %s)", id, base, got.Method, got.URL, got.Host, wantReq.Method, wantReq.URL, wantReq.Host)
	}
	return nil
}

// Any path parameter a typed call lets through (checkID: no white space
// or control character, not a dot segment) makes gen/divarapi's URL.
func FuzzRequestURL(f *testing.F) {
	for _, s := range []string{"gZd7omnS", "a/b%c?d#e;f", "سلام", "..x", "%2F", "a%", "~!$&'()*+,=:@"} {
		f.Add(s)
	}
	cat, err := description()
	if err != nil {
		f.Fatal(err)
	}
	clients := make([]*Client, len(urlBases))
	for i, base := range urlBases {
		if clients[i], err = NewClient(Config{APIKey: "k", BaseURL: base}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, param string) {
		if checkID("id", param, 256) != nil || param == "." || param == ".." {
			return
		}
		for i, base := range urlBases {
			for id, d := range cat.ops {
				if err := generatedURL(clients[i], base, id, d, param); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// checkID judges an id as it did in three passes (count, UTF-8, then
// white space), in the same order, with the same words.
func FuzzCheckID(f *testing.F) {
	for _, s := range []string{"", "6b3d5cf7-9291-4fa9-892a-9d07e300daea", "a b", "\x7f", "سلام", "\xff", "\xd8", "0123456789a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, want := fmt.Sprint(checkID("id", v, 10)), fmt.Sprint(checkIDThreePasses("id", v, 10))
		if got != want {
			t.Fatalf("checkID(%q) = %s, want %s", v, got, want)
		}
	})
}

func checkIDThreePasses(name, v string, max int) error {
	n := utf8.RuneCountInString(v)
	switch {
	case n == 0:
		return refuse(name, "is empty")
	case n > max:
		return refuse(name, "longer than %d characters", max)
	case !utf8.ValidString(v):
		return refuse(name, "is not valid UTF-8")
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f {
			return refuse(name, "contains white space or a control character")
		}
	}
	return nil
}
