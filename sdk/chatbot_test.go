package sdk_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
)

func TestParseStart(t *testing.T) {
	for _, tc := range []struct {
		text       string
		ok         bool
		touchpoint sdk.Touchpoint
		post, conv string
	}{
		{"/start MY_POST gZd7omnS", true, sdk.TouchpointMyPost, "gZd7omnS", ""},
		{"/start DEMAND_POST gZd7omnS", true, sdk.TouchpointDemandPost, "gZd7omnS", ""},
		{"/start CHAT edbb3a24-1c4d", true, sdk.TouchpointChat, "", "edbb3a24-1c4d"},
		{"/start MY_DIVAR", true, sdk.TouchpointMyDivar, "", ""},
		{"/start DIVAR_PRO", true, sdk.TouchpointDivarPro, "", ""},
		{"/start MY_POST", true, sdk.TouchpointMyPost, "", ""}, // no id available
		{"/start", true, "", "", ""},
		{"  /start   my_post\tgZd7omnS\n", true, sdk.TouchpointMyPost, "gZd7omnS", ""},
		{"/start NEW_PLACE x", true, "NEW_PLACE", "", ""},
		{"/started MY_POST x", false, "", "", ""},
		{"hello /start MY_POST x", false, "", "", ""},
		{"/start MY_POST x y", false, "", "", ""},
		{"", false, "", "", ""},
		{"/start MY_POST " + strings.Repeat("x", 300), false, "", "", ""},
		{"/start MY_POST \xff", false, "", "", ""},
	} {
		t.Run(tc.text, func(t *testing.T) {
			c, ok := sdk.ParseStart(tc.text)
			if ok != tc.ok || c.Touchpoint != tc.touchpoint || c.PostToken() != tc.post || c.ConversationID() != tc.conv {
				t.Errorf("ParseStart = %+v, %v (post %q, conv %q)", c, ok, c.PostToken(), c.ConversationID())
			}
		})
	}
}

func FuzzParseStart(f *testing.F) {
	for _, s := range []string{"/start MY_POST gZd7omnS", "/start", "/start CHAT c", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, ok := sdk.ParseStart(text)
		if !ok {
			if c != (sdk.StartCommand{}) {
				t.Fatalf("a refused text gave %+v", c)
			}
			return
		}
		if !strings.HasPrefix(strings.TrimSpace(text), "/start") || len(c.ID) > len(text) {
			t.Fatalf("accepted %q as %+v", text, c)
		}
		if strings.ContainsAny(string(c.Touchpoint)+c.ID, " \t\n") {
			t.Fatalf("white space inside %+v", c)
		}
	})
}

func TestBotMessage(t *testing.T) {
	m := sdk.BotText("ادامه می‌دهید؟",
		sdk.Row(
			sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
			sdk.Button("خیر", sdk.GetDynamicAction(sdk.Data{"answer": "no"})),
		),
		sdk.Row(sdk.Button("آگهی", sdk.OpenPostPage("gZd7omnS"))),
	)
	b, err := sdk.MarshalAnswer(m)
	if err != nil || m.Validate() != nil {
		t.Fatal(err, m.Validate())
	}
	want := `{"text_message":"ادامه می‌دهید؟","buttons":{"rows":[{"buttons":[` +
		`{"action":{"get_dynamic_action":{"data":{"answer":"yes"}}},"caption":"بله"},` +
		`{"action":{"get_dynamic_action":{"data":{"answer":"no"}}},"caption":"خیر"}]},` +
		`{"buttons":[{"action":{"open_post_page":{"post_token":"gZd7omnS"}},"caption":"آگهی"}]}]}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if b, _ := sdk.MarshalAnswer(sdk.BotText("hi")); string(b) != `{"text_message":"hi"}` {
		t.Errorf("no buttons: %s", b)
	}
	for _, tc := range []struct {
		name string
		m    sdk.BotMessage
		want string
	}{
		{"no text", sdk.BotText(""), "needs a text_message"},
		{"no caption", sdk.BotText("x", sdk.Row(sdk.Button("", sdk.OpenPostPage("a")))), "/buttons/rows/0/buttons/0/caption"},
		{"bad action", sdk.BotText("x", sdk.Row(sdk.Button("a", sdk.OpenPostPage("a")), sdk.Button("b", sdk.OpenDirectLink("/x")))),
			"/buttons/rows/0/buttons/1/action/open_direct_link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Validate()
			if !errors.Is(err, sdk.ErrInvalidAnswer) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
}
