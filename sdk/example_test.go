package sdk_test

import (
	"errors"
	"fmt"

	"github.com/kenarkit/kenarkit/sdk"
)

func ExampleOpenServerLink() {
	// A chat button that makes Divar call the add-on's init callback with
	// this data as extra_data.
	b, _ := sdk.MarshalAnswer(sdk.OpenServerLink(sdk.Data{"step": "pay", "order": 42}))
	fmt.Println(string(b))
	// Output: {"open_server_link":{"data":{"order":42,"step":"pay"}}}
}

func ExampleReply() {
	answer := sdk.Reply(sdk.OpenDirectLink("https://addon.example/pay?order=42&x=1")).WithText("پرداخت")
	b, _ := sdk.MarshalAnswer(answer)
	fmt.Println(string(b))
	// Output: {"action":{"open_direct_link":"https://addon.example/pay?order=42&x=1"},"text_message":"پرداخت"}
}

func ExampleAction_Validate() {
	err := sdk.OpenDirectLink("/pay").Validate()
	fmt.Println(errors.Is(err, sdk.ErrInvalidAnswer))
	fmt.Println(err)
	// Output:
	// true
	// sdk: answer Divar would reject: /open_direct_link must be an absolute http(s) URL of 8 to 2048 characters
}

func ExampleChatText() {
	// A message in a user's conversation whose receiver gets yes/no buttons;
	// a tap arrives at the add-on's dynamic-action callback as extra_data.
	m := sdk.ChatText("آیا مایلید ادامه دهید؟").WithReceiverButtons(sdk.Row(
		sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
		sdk.Button("خیر", sdk.GetDynamicAction(sdk.Data{"answer": "no"})).WithIcon("CLOSE"),
	))
	fmt.Println(m.Validate())
	b, _ := sdk.MarshalAnswer(m)
	fmt.Println(string(b))
	// Output:
	// <nil>
	// {"message":"آیا مایلید ادامه دهید؟","receiver_buttons":{"rows":[{"buttons":[{"action":{"get_dynamic_action":{"data":{"answer":"yes"}}},"caption":"بله"},{"action":{"get_dynamic_action":{"data":{"answer":"no"}}},"icon":"CLOSE","caption":"خیر"}]}]}}
}
