package sdk_test

import (
	"fmt"

	"github.com/kenarkit/kenarkit/sdk"
)

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
