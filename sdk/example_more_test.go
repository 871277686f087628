package sdk_test

import (
	"context"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
)

// An EventMux runs the handler of an event's type once, however many times
// Divar delivers the event.
func ExampleEventMux() {
	mux := &sdk.EventMux{
		Dedupe: dedupe.NewMemory(dedupe.MemoryConfig{}),
		NewChatbotMessage: func(ctx context.Context, e *sdk.Event, m *sdk.ChatMessage) error {
			fmt.Println("bot message:", m.Text)
			return nil
		},
	}
	body := `{"type":"NEW_CHATBOT_MESSAGE","new_chatbot_message":{"id":"m-1","type":"TEXT","text":"/start MY_DIVAR",` +
		`"conversation":{"id":"c-1","type":"BOT"},"sender":{"type":"HUMAN"},"sent_at":1729429926140000}}`
	for range 2 { // Divar delivers it twice
		var e sdk.Event
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			fmt.Println(err)
			return
		}
		if _, err := mux.Handle(context.Background(), &e); err != nil {
			fmt.Println(err)
		}
	}
	// An event no handler is set for is acknowledged and dropped.
	_, err := mux.Handle(context.Background(), &sdk.Event{Type: sdk.EventPostUpdate})
	fmt.Println("post update:", err)
	// Output:
	// bot message: /start MY_DIVAR
	// post update: <nil>
}

// RawData reads the data an action carried, member by member or into a
// struct, without decoding what the handler does not look at.
func ExampleRawData() {
	data := sdk.RawData(`{"answer":"yes","step":2,"items":["a","b"]}`)
	fmt.Println(data.String("answer"), data.Has("step"), data.Has("missing"), data.String("step") == "")

	var v struct {
		Step  int      `json:"step"`
		Items []string `json:"items"`
	}
	if err := data.Decode(&v); err != nil {
		fmt.Println(err)
	}
	fmt.Println(v.Step, v.Items)
	fmt.Println(len(sdk.RawData(nil).Map()))
	// Output:
	// yes true false true
	// 2 [a b]
	// 0
}

// ParseStart reads the first message a chat bot gets: where the user came
// from, and which post or conversation.
func ExampleParseStart() {
	for _, text := range []string{"/start MY_POST gZd7omnS", "/start chat 6b3d5cf7", "/start", "hello"} {
		start, ok := sdk.ParseStart(text)
		fmt.Printf("%q: ok=%v touchpoint=%q post=%q conversation=%q\n", text, ok, start.Touchpoint, start.PostToken(), start.ConversationID())
	}
	// Output:
	// "/start MY_POST gZd7omnS": ok=true touchpoint="MY_POST" post="gZd7omnS" conversation=""
	// "/start chat 6b3d5cf7": ok=true touchpoint="CHAT" post="" conversation="6b3d5cf7"
	// "/start": ok=true touchpoint="" post="" conversation=""
	// "hello": ok=false touchpoint="" post="" conversation=""
}

// BotText builds a chat bot's message with buttons, as Divar's chat API
// takes it.
func ExampleBotText() {
	msg := sdk.BotText("ادامه می‌دهید؟", sdk.Row(
		sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
		sdk.Button("خیر", sdk.GetDynamicAction(sdk.Data{"answer": "no"})),
	))
	if err := msg.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	b, err := sdk.MarshalAnswer(msg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	// Output:
	// {"text_message":"ادامه می‌دهید؟","buttons":{"rows":[{"buttons":[{"action":{"get_dynamic_action":{"data":{"answer":"yes"}}},"caption":"بله"},{"action":{"get_dynamic_action":{"data":{"answer":"no"}}},"caption":"خیر"}]}]}}
}
