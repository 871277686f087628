package validate

import (
	"fmt"
	"testing"

	divardesc "github.com/kenarkit/kenarkit/api/divar"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/widget"
)

// The client's check (BodyCheck.Check) reads a body with the server's
// engine: the scanner, and the decoder only where the scanner stops. These
// tests hold it to that on what a client sends: the vocabulary's bodies as
// sdk.MarshalAnswer writes them, checked against Divar's description with
// kenarkit's overlay, as sdk/divar checks them.

// clientOps compiles the body of each operation sdk/divar sends the
// vocabulary to, by operationId.
func clientOps(t testing.TB) map[string]*BodyCheck {
	t.Helper()
	doc, err := divardesc.Description()
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]*BodyCheck{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			switch op.OperationID {
			case "ChatAPI_ConversationSendMessage", "ChatAPI_ChatBotSendMessage", "ChatAPI_ChatBotSendMessage2",
				"Addons_CreatePostAddonV2", "Events_RegisterEventSubscription":
				c, err := CompileBody(op.RequestBody.Value.Content.Get("application/json").Schema.Value)
				if err != nil {
					t.Fatalf("%s: %v", op.OperationID, err)
				}
				checks[op.OperationID] = c
			}
		}
	}
	if len(checks) != 5 {
		t.Fatalf("%d operations compiled, want 5", len(checks))
	}
	return checks
}

// clientBodies are bodies a client sends, each with its operation: valid
// ones, and some the vocabulary's own checks would have refused first
// (built as struct literals), for the verdicts.
func clientBodies(t testing.TB) []struct {
	op, name string
	body     []byte
} {
	t.Helper()
	yesNo := sdk.Row(
		sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
		sdk.Button("خیر", sdk.GetDynamicAction(sdk.Data{"answer": "no", "n": 2, "nested": map[string]any{"a": []any{1, "b"}}})).WithIcon("ADD"),
	)
	links := sdk.Row(sdk.Button("سایت", sdk.OpenDirectLink("https://example.com/a?b=c&d=<e>")), sdk.Button("آگهی", sdk.OpenPostPage("gZd7omnS")))
	four := sdk.Row(sdk.Button("1", sdk.OpenPostPage("gZd7omnS")), sdk.Button("2", sdk.OpenPostPage("gZd7omnS")),
		sdk.Button("3", sdk.OpenPostPage("gZd7omnS")), sdk.Button("4", sdk.OpenPostPage("gZd7omnS")))
	const odd = "quotes \" and \\ backslash, a\nnew line, a\ttab, \u2028, <&>, 😀, \u0001 and ی"
	var out []struct {
		op, name string
		body     []byte
	}
	add := func(op, name string, v any) {
		b, err := sdk.MarshalAnswer(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, struct {
			op, name string
			body     []byte
		}{op, name, b})
	}
	const msg, bot = "ChatAPI_ConversationSendMessage", "ChatAPI_ChatBotSendMessage"
	add(msg, "the seed's yes/no", sdk.ChatText("آیا مایلید ادامه دهید؟").WithReceiverButtons(yesNo))
	add(msg, "both grids", sdk.ChatText("سلام").WithSenderButtons(links).WithReceiverButtons(yesNo, links))
	add(msg, "odd characters", sdk.ChatText(odd))
	add(msg, "media", sdk.ChatMedia("media-token-1"))
	add(msg, "text and media (refused)", sdk.ConversationMessage{Message: "x", MediaToken: "m"})
	add(msg, "neither (refused)", sdk.ConversationMessage{})
	add(msg, "four buttons in a row (refused)", sdk.ChatText("x").WithReceiverButtons(four))
	add(msg, "an icon not Divar's (refused)", sdk.ChatText("x").WithReceiverButtons(sdk.Row(sdk.Button("a", sdk.OpenPostPage("p")).WithIcon("NOPE"))))
	add(bot, "a bot's text with buttons", sdk.BotText("به ربات خوش آمدید", yesNo, links))
	add(bot, "a bot's odd text", sdk.BotText(odd))
	add("ChatAPI_ChatBotSendMessage2", "a bot's text to a user", sdk.BotText("سلام"))
	add("Addons_CreatePostAddonV2", "a post add-on", widget.Addon(
		widget.TitleRow("بازدید کارشناس"), widget.SubtitleRow("زیرعنوان"), widget.DescriptionRow(odd),
		widget.ButtonBar("رزرو", sdk.OpenServerLink(sdk.Data{"step": "book"})),
		widget.GroupInfoRow(widget.Info("متراژ", "۱۲۰"), widget.Info("اتاق", "۳")),
		widget.EvaluationRow("ارزیابی", 60, widget.Section("کم", ""), widget.Section("متوسط", ""), widget.Section("زیاد", "")), widget.ImageCarouselRow(widget.Image("img-1", "تصویر")),
	))
	add("Addons_CreatePostAddonV2", "no widget (refused)", widget.PostAddon{})
	add("Events_RegisterEventSubscription", "a subscription", sdk.EventSubscription{EventType: "NEW_MESSAGE", ResourceID: "gZd7omnS", Metadata: sdk.Data{"k": "v"}})
	add("Events_RegisterEventSubscription", "an event type not Divar's (refused)", sdk.EventSubscription{EventType: "NOPE"})
	return out
}

// TestClientBodiesAreReadByTheScanner: every body a client sends is read
// by the scanner to the end (the decoder is not needed), and the verdict
// is the decoder's, word for word, and Check's.
func TestClientBodiesAreReadByTheScanner(t *testing.T) {
	checks := clientOps(t)
	refused := 0
	for _, tc := range clientBodies(t) {
		t.Run(tc.name, func(t *testing.T) {
			c := checks[tc.op]
			scanned, err := checkReading(c, tc.body, true)
			if err == errRescan {
				t.Fatalf("the scanner stopped on %s", tc.body)
			}
			decoded, derr := checkReading(c, tc.body, false)
			got, gerr := c.Check(tc.body)
			if s, d, g := fmt.Sprint(scanned, err), fmt.Sprint(decoded, derr), fmt.Sprint(got, gerr); s != d || g != d {
				t.Fatalf("%s:\nscanner %s\ndecoder %s\nCheck   %s", tc.body, s, d, g)
			}
			if len(got) > 0 {
				refused++
			}
		})
	}
	if refused < 5 {
		t.Errorf("%d bodies refused: the refusals are not exercised", refused)
	}
}

// FuzzClientCheckAgreesWithTheDecoder: on any body, the message's check
// reading with the scanner gives the decoder's verdict wherever the
// scanner reads to the end, and Check gives the decoder's always.
func FuzzClientCheckAgreesWithTheDecoder(f *testing.F) {
	for _, tc := range clientBodies(f) {
		f.Add(tc.body)
	}
	for _, tc := range scannerBodies {
		f.Add([]byte(tc.body))
	}
	c := clientOps(f)["ChatAPI_ConversationSendMessage"]
	f.Fuzz(func(t *testing.T, body []byte) {
		decoded, derr := checkReading(c, body, false)
		want := fmt.Sprint(decoded, derr)
		if scanned, err := checkReading(c, body, true); err != errRescan {
			if got := fmt.Sprint(scanned, err); got != want {
				t.Fatalf("%q:\nscanner %s\ndecoder %s", body, got, want)
			}
		}
		if got, err := c.Check(body); fmt.Sprint(got, err) != want {
			t.Fatalf("%q:\nCheck   %s\ndecoder %s", body, fmt.Sprint(got, err), want)
		}
	})
}

// checkReading is c.Check reading body with the scanner alone (errRescan
// where it stops) or with the decoder alone.
func checkReading(c *BodyCheck, body []byte, scan bool) ([]FieldError, error) {
	w := readingWith(body, DefaultMaxDepth, scan, nil)
	defer w.release()
	w.keep = c.presence != nil // as Check does
	errs, err := w.walk(c.root)
	if err == errRescan {
		return nil, err
	}
	return c.judge(w, errs, err)
}
