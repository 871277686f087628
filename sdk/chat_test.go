package sdk_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
)

// Divar's chat examples (divar-ir/kenar-docs), restated by hand. Their
// "type":"TEXT" is not in Divar's schema (ChatAPIConversationSendMessageBody,
// ChatAPIChatBotSendMessageBody) and is not sent; the rest is byte for byte.
func TestChatMessagesMatchDivarsExamples(t *testing.T) {
	serverLink := sdk.OpenServerLink(sdk.Data{"my_key_1": "value", "my_key_2": "value2"})
	t.Run("docs/chat/users_conversations.md", func(t *testing.T) {
		link := sdk.OpenDirectLink("آدرس مورد نظر برای باز شدن بعد از کلیک")
		m := sdk.ChatText("متن پیام").
			WithSenderButtons(sdk.Row(
				sdk.Button("متن دکمه", link).WithIcon("نام آیکون"),
				sdk.Button("متن دکمه", serverLink).WithIcon("نام آیکون"))).
			WithReceiverButtons(sdk.Row(
				sdk.Button("متن دکمه", link).WithIcon("CAR_INSPECTED"),
				sdk.Button("متن دکمه", serverLink).WithIcon("REAL_STATE")))
		want := `{"message":"متن پیام",` +
			`"sender_buttons":{"rows":[{"buttons":[` +
			`{"action":{"open_direct_link":"آدرس مورد نظر برای باز شدن بعد از کلیک"},"icon":"نام آیکون","caption":"متن دکمه"},` +
			`{"action":{"open_server_link":{"data":{"my_key_1":"value","my_key_2":"value2"}}},"icon":"نام آیکون","caption":"متن دکمه"}]}]},` +
			`"receiver_buttons":{"rows":[{"buttons":[` +
			`{"action":{"open_direct_link":"آدرس مورد نظر برای باز شدن بعد از کلیک"},"icon":"CAR_INSPECTED","caption":"متن دکمه"},` +
			`{"action":{"open_server_link":{"data":{"my_key_1":"value","my_key_2":"value2"}}},"icon":"REAL_STATE","caption":"متن دکمه"}]}]}}`
		if b, _ := sdk.MarshalAnswer(m); string(b) != want {
			t.Errorf("got  %s\nwant %s", b, want)
		}
		// The example's placeholders are not what Divar accepts.
		err := m.Validate()
		for _, p := range []string{"/sender_buttons/rows/0/buttons/0/action/open_direct_link", "/sender_buttons/rows/0/buttons/0/icon:", "/receiver_buttons/rows/0/buttons/0/action/open_direct_link"} {
			if err == nil || !strings.Contains(err.Error(), p) {
				t.Errorf("missing %s in %v", p, err)
			}
		}
	})
	t.Run("docs/chat/chatbot_conversations.md", func(t *testing.T) {
		first := sdk.Button("متن دکمه", sdk.OpenDirectLink("https://addon.example/x"))
		first.IconName = "REAL_STATE" // the deprecated spelling, as in the example
		m := sdk.BotText("hello, World!", sdk.Row(first, sdk.Button("متن دکمه", serverLink).WithIcon("HOME")))
		want := `{"text_message":"hello, World!","buttons":{"rows":[{"buttons":[` +
			`{"action":{"open_direct_link":"https://addon.example/x"},"icon_name":"REAL_STATE","caption":"متن دکمه"},` +
			`{"action":{"open_server_link":{"data":{"my_key_1":"value","my_key_2":"value2"}}},"icon":"HOME","caption":"متن دکمه"}]}]}}`
		if b, _ := sdk.MarshalAnswer(m); string(b) != want {
			t.Errorf("got  %s\nwant %s", b, want)
		}
		if err := m.Validate(); err != nil {
			t.Error(err)
		}
	})
}

func TestButtonGridLimits(t *testing.T) {
	yes := sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"}))
	row := func(n int) sdk.ButtonRow { return sdk.Row(make([]sdk.ChatButton, n)...) }
	full := func(n int) sdk.ButtonRow {
		r := sdk.Row()
		for range n {
			r.Buttons = append(r.Buttons, yes)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		m    sdk.ConversationMessage
		want string
	}{
		{"3 rows of 3", sdk.ChatText("x").WithReceiverButtons(full(3), full(3), full(3)), ""},
		{"4 rows", sdk.ChatText("x").WithReceiverButtons(full(1), full(1), full(1), full(1)), "/receiver_buttons/rows: has 4 rows, Divar takes at most 3"},
		{"4 buttons in a row", sdk.ChatText("x").WithSenderButtons(full(4)), "/sender_buttons/rows/0/buttons: has 4 buttons, Divar takes at most 3 a row"},
		{"empty row", sdk.ChatText("x").WithSenderButtons(full(1), row(0)), "/sender_buttons/rows/1/buttons: a row needs at least one button"},
		{"button without caption or action", sdk.ChatText("x").WithSenderButtons(row(1)), "/sender_buttons/rows/0/buttons/0/caption: is empty"},
		{"neither text nor media", sdk.ChatText(""), "/message: a message carries a text or a media token; it has neither"},
		{"media alone", sdk.ChatMedia("media-token-1").WithSenderButtons(full(1)), ""},
		{"text and media", sdk.ChatText("x").WithMedia("media-token-1"), "/media_token: a message carries a text or a media token, not both"},
		{"text of 4097", sdk.ChatText(strings.Repeat("x", 4097)), "/message: longer than 4096"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, sdk.ErrInvalidAnswer) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v\nwant %q", err, tc.want)
			}
		})
	}
	// The same limits hold for a bot's buttons, and an action-less button
	// is named too.
	err := sdk.BotText("x", row(1), full(4), full(1), full(1)).Validate()
	for _, want := range []string{"/buttons/rows: has 4 rows", "/buttons/rows/1/buttons: has 4 buttons", "/buttons/rows/0/buttons/0/action: an action must set one kind"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}

func TestEventSubscription(t *testing.T) {
	s := sdk.EventSubscription{EventType: sdk.SubscribeNewMessages, ResourceID: "gZd7omnS", Metadata: sdk.Data{"shop": "7"}}
	b, _ := sdk.MarshalAnswer(s)
	if want := `{"event_type":"NEW_MESSAGE_ON_POST","event_resource_id":"gZd7omnS","metadata":{"shop":"7"}}`; string(b) != want || s.Validate() != nil {
		t.Errorf("got %s, %v", b, s.Validate())
	}
	if err := (sdk.EventSubscription{EventType: "NEW_MESSAGE"}).Validate(); err == nil || !strings.Contains(err.Error(), "/event_type:") {
		t.Errorf("unknown type: %v", err)
	}
}

// TestEveryBrokenButtonIsNamedExactly: each failing field of a grid is
// named by its full pointer, row and button indexes included, with the
// same words, the pointers written only for the rules that fail.
func TestEveryBrokenButtonIsNamedExactly(t *testing.T) {
	ok := sdk.Button("a", sdk.OpenPostPage("AbCd"))
	m := sdk.ChatText("x").WithReceiverButtons(
		sdk.Row(ok, ok),
		sdk.Row(ok, sdk.Button("b", sdk.OpenDirectLink("ftp://example.com/x")), sdk.Button("", sdk.OpenPostPage("12345678901")).WithIcon("home")),
	)
	var got []string
	for _, err := range m.Validate().(interface{ Unwrap() []error }).Unwrap() {
		got = append(got, err.Error())
	}
	want := []string{
		"sdk: answer Divar would reject: /receiver_buttons/rows/1/buttons/1/action/open_direct_link must be an absolute http(s) URL",
		"sdk: answer Divar would reject: /receiver_buttons/rows/1/buttons/2/caption: is empty",
		`sdk: answer Divar would reject: /receiver_buttons/rows/1/buttons/2/icon: "home" is not a Divar icon name (capitals, digits and _, like ADD)`,
		"sdk: answer Divar would reject: /receiver_buttons/rows/1/buttons/2/action/open_post_page/post_token must have 1 to 10 characters",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
