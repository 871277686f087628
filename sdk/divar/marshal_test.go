package divar

import (
	"bytes"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/widget"
)

// TestTheVocabularyIsSentAsItsOwnBytes: a body of the sdk's types is sent
// as sdk.MarshalAnswer writes it (no HTML escaping, map keys sorted),
// whether the call passes it by pointer, as the typed calls do, or by value.
func TestTheVocabularyIsSentAsItsOwnBytes(t *testing.T) {
	link := sdk.OpenDirectLink("https://example.com/a?b=1&c=<2>")
	data := sdk.Data{"z": "1", "a": "&"}
	msg := sdk.ChatText("x&y").WithReceiverButtons(sdk.Row(sdk.Button("a", link), sdk.Button("b", sdk.GetDynamicAction(data))))
	bot := sdk.BotText("x", sdk.Row(sdk.Button("a", link)))
	sub := sdk.EventSubscription{EventType: sdk.SubscribePostUpdates, Metadata: data}
	addon := widget.Addon(widget.TitleRow("t&"), widget.ButtonBar("b", link))
	for _, tc := range []struct {
		name       string
		value, ptr any
	}{
		{"a conversation message", msg, &msg},
		{"a bot message", bot, &bot},
		{"a subscription", sub, &sub},
		{"a post add-on", addon, &addon},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := sdk.MarshalAnswer(tc.value)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range []any{tc.value, tc.ptr} {
				if got, err := marshal(in); err != nil || !bytes.Equal(got, want) {
					t.Errorf("marshal(%T) = %s, %v\nwant %s", in, got, err, want)
				}
			}
			if !bytes.Contains(want, []byte("&")) {
				t.Errorf("%s: the & is escaped", want)
			}
		})
	}
}
