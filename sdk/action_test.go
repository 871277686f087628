package sdk_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
)

// The JSON of every action and answer, byte for byte as the reference
// (divar-wire-format.md, sections 1 to 3) writes it.
func TestAnswersAreByteExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"open_direct_link", sdk.OpenDirectLink("https://your-domain.com/direct-link"),
			`{"open_direct_link":"https://your-domain.com/direct-link"}`},
		{"open_server_link", sdk.OpenServerLink(sdk.Data{"your_key_1": "your value", "your_key_2": "your value"}),
			`{"open_server_link":{"data":{"your_key_1":"your value","your_key_2":"your value"}}}`},
		{"open_server_link, nil data", sdk.OpenServerLink(nil), `{"open_server_link":{"data":{}}}`},
		{"get_dynamic_action", sdk.GetDynamicAction(sdk.Data{"answer": "yes"}),
			`{"get_dynamic_action":{"data":{"answer":"yes"}}}`},
		{"get_dynamic_action, nil data", sdk.GetDynamicAction(nil), `{"get_dynamic_action":{"data":{}}}`},
		{"open_post_page", sdk.OpenPostPage("gZd7omnS"), `{"open_post_page":{"post_token":"gZd7omnS"}}`},
		{"open_post_manage_page", sdk.OpenPostManagePage("gZd7omnS"), `{"open_post_manage_page":{"post_token":"gZd7omnS"}}`},
		{"url answer", sdk.OpenURL("https://your-domain.com/landings/6b3d5cf7-9291-4fa9-892a-9d07e300daea"),
			`{"url":"https://your-domain.com/landings/6b3d5cf7-9291-4fa9-892a-9d07e300daea"}`},
		{"url answer keeps & < >", sdk.OpenURL("https://d.ir/?a=1&b=<2>"), `{"url":"https://d.ir/?a=1&b=<2>"}`},
		{"action and text", sdk.Reply(sdk.OpenDirectLink("https://your-domain.com/direct-link")).WithText("پیام متنی اختیاری برای نمایش به کاربر"),
			`{"action":{"open_direct_link":"https://your-domain.com/direct-link"},"text_message":"پیام متنی اختیاری برای نمایش به کاربر"}`},
		{"server link and text", sdk.Reply(sdk.OpenServerLink(sdk.Data{"your_key_1": "your value", "your_key_2": "your value"})).WithText("پیام"),
			`{"action":{"open_server_link":{"data":{"your_key_1":"your value","your_key_2":"your value"}}},"text_message":"پیام"}`},
		{"action only", sdk.Reply(sdk.OpenPostPage("gZd7omnS")), `{"action":{"open_post_page":{"post_token":"gZd7omnS"}}}`},
		{"text only", sdk.TextMessage("اطلاعات با موفقیت ثبت شد"), `{"text_message":"اطلاعات با موفقیت ثبت شد"}`},
		{"nested data keeps its order-independent form", sdk.GetDynamicAction(sdk.Data{"b": []any{1, "x"}, "a": map[string]any{"z": true, "y": nil}}),
			`{"get_dynamic_action":{"data":{"a":{"y":null,"z":true},"b":[1,"x"]}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sdk.MarshalAnswer(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestAnswersWriteThemselves(t *testing.T) {
	w := httptest.NewRecorder()
	if err := sdk.Reply(sdk.OpenPostPage("gZd7omnS")).WithText("a&b").VisitDynamicActionResponse(w); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" ||
		w.Body.String() != `{"action":{"open_post_page":{"post_token":"gZd7omnS"}},"text_message":"a&b"}` {
		t.Errorf("%d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	w = httptest.NewRecorder()
	if err := sdk.OpenURL("/relative").VisitOpenServerLinkResponse(w); !errors.Is(err, sdk.ErrInvalidAnswer) {
		t.Errorf("an invalid answer was written: %v, %s", err, w.Body)
	}
	if w.Body.Len() != 0 {
		t.Errorf("an invalid answer wrote %s", w.Body)
	}
}

func TestValidateRefusesWhatDivarRejects(t *testing.T) {
	long := "https://d.ir/" + strings.Repeat("a", 2048)
	for _, tc := range []struct {
		name string
		v    interface{ Validate() error }
		want string // in the error; "" when valid
	}{
		{"direct link", sdk.OpenDirectLink("https://d.ir"), ""},
		{"http is fine", sdk.OpenDirectLink("http://localhost:8080/x"), ""},
		{"upper-case scheme", sdk.OpenDirectLink("HTTPS://D.IR/"), ""},
		{"relative link", sdk.OpenDirectLink("/landing"), "/open_direct_link must be an absolute http(s) URL"},
		{"other scheme", sdk.OpenDirectLink("ftp://d.ir/file"), "absolute http(s) URL"},
		{"javascript", sdk.OpenDirectLink("javascript:alert(1)"), "absolute http(s) URL"},
		{"no host", sdk.OpenDirectLink("https:///path"), "with a host"},
		{"white space", sdk.OpenDirectLink("https://d.ir/a b"), "white space"},
		{"too long", sdk.OpenDirectLink(long), "8 to 2048"},
		{"no kind", sdk.Action{}, "sets none"},
		{"two kinds", sdk.Action{OpenDirectLink: "https://d.ir", OpenServerLink: &sdk.DataPayload{}}, "exactly one kind, it sets 2"},
		{"empty post token", sdk.OpenPostPage(""), "/open_post_page/post_token must have 1 to 10"},
		{"long post token", sdk.OpenPostManagePage("12345678901"), "/open_post_manage_page/post_token"},
		{"url answer", sdk.OpenURL("https://d.ir/x"), ""},
		{"empty url answer", sdk.OpenURL(""), "/url"},
		{"empty dynamic answer", sdk.DynamicActionResponse{}, ""},
		{"empty text", sdk.TextMessage(""), ""},
		{"bad action in an answer", sdk.Reply(sdk.OpenDirectLink("x")), "/action/open_direct_link"},
		{"long text", sdk.TextMessage(strings.Repeat("ب", 4097)), "text_message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.v.Validate()
			if tc.name == "empty dynamic answer" || tc.name == "empty text" {
				// Divar needs an action or a text: both empty is refused.
				if !errors.Is(err, sdk.ErrInvalidAnswer) {
					t.Fatalf("Validate = %v, want ErrInvalidAnswer", err)
				}
				return
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if !errors.Is(err, sdk.ErrInvalidAnswer) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want ErrInvalidAnswer with %q", err, tc.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{string(sdk.Source("POST_ADODN").Normalize()), "POST_ADDON"},
		{string(sdk.Source("post_adodn").Normalize()), "POST_ADDON"},
		{string(sdk.Source("POST_ADDON").Normalize()), "POST_ADDON"},
		{string(sdk.Source("chat_message_action").Normalize()), "CHAT_MESSAGE_ACTION"},
		{string(sdk.Source("NEW_ONE").Normalize()), "NEW_ONE"},
		{string(sdk.UserSide("Supply").Normalize()), "SUPPLY"},
		{string(sdk.UserSide("SUPPLY").Normalize()), "SUPPLY"},
		{string(sdk.UserSide("demand").Normalize()), "DEMAND"},
		{string(sdk.UserSide("").Normalize()), ""},
		{string(sdk.UserSide("ſupply").Normalize()), "ſUPPLY"}, // not ASCII: never turned into SUPPLY
		{string(sdk.Touchpoint("my_post").Normalize()), "MY_POST"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestRequestHelpers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		req      sdk.OpenServerLinkRequest
		returnTo string
		data     string // Data().String("k")
	}{
		{"seed", sdk.OpenServerLinkRequest{ReturnURL: "https://divar.ir/", ExtraData: sdk.Data{"k": "extra"}}, "https://divar.ir/", "extra"},
		{"current docs", sdk.OpenServerLinkRequest{CompletionURL: "https://c.ir/", ProviderData: sdk.Data{"k": "provider"}}, "https://c.ir/", "provider"},
		{"both: seed names win", sdk.OpenServerLinkRequest{ReturnURL: "https://r.ir/", CompletionURL: "https://c.ir/",
			ExtraData: sdk.Data{"k": "extra"}, ProviderData: sdk.Data{"k": "provider"}}, "https://r.ir/", "extra"},
		{"neither", sdk.OpenServerLinkRequest{}, sdk.CompletionURL, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.req.ReturnTo(); got != tc.returnTo {
				t.Errorf("ReturnTo = %q, want %q", got, tc.returnTo)
			}
			d := tc.req.Data()
			if d == nil || d.String("k") != tc.data {
				t.Errorf("Data = %v", d)
			}
		})
	}
	var step struct {
		Step int    `json:"step"`
		Name string `json:"name"`
	}
	if err := (sdk.Data{"step": 2.0, "name": "x", "NAME": "y"}).Decode(&step); err != nil || step.Step != 2 || step.Name != "x" {
		t.Errorf("Decode = %+v, %v", step, err)
	}
	if err := (sdk.Data{"step": "two"}).Decode(&step); err == nil {
		t.Error("Decode accepted a string for an int")
	}
	if (sdk.Data{"n": 1.0}).String("n") != "" {
		t.Error("String returned a number")
	}
}
