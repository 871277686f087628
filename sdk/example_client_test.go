package sdk_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/kenarkit/kenarkit/sdk"
	"golang.org/x/oauth2"
)

func ExampleAddon() {
	// A post add-on: a title, facts, and a button that makes Divar call the
	// add-on's init callback with this data as extra_data.
	addon := sdk.Addon(
		sdk.TitleRow("بازدید کارشناس").WithDivider(),
		sdk.GroupInfoRow(sdk.Info("متراژ", "۸۰"), sdk.Info("طبقه", "۳")),
		sdk.ButtonBar("رزرو بازدید", sdk.OpenServerLink(sdk.Data{"step": "book"})),
	)
	fmt.Println(addon.Validate())
	b, _ := sdk.MarshalAnswer(addon)
	fmt.Println(string(b))
	// Output:
	// <nil>
	// {"widgets":[{"title_row":{"text":"بازدید کارشناس","has_divider":true}},{"group_info_row":{"items":[{"title":"متراژ","value":"۸۰"},{"title":"طبقه","value":"۳"}],"has_divider":false}},{"button_bar":{"title":"رزرو بازدید","action":{"open_server_link":{"data":{"step":"book"}}}}}]}
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

func ExampleWidget_Validate() {
	err := sdk.Addon(
		sdk.ButtonBar("", sdk.OpenDirectLink("/pay")),
		sdk.GroupInfoRow(sdk.Info("متراژ", "۸۰")),
	).Validate()
	fmt.Println(errors.Is(err, sdk.ErrInvalidAnswer))
	fmt.Println(err)
	// Output:
	// true
	// sdk: answer Divar would reject: /widgets/0/button_bar/title: is empty
	// sdk: answer Divar would reject: /widgets/0/button_bar/action/open_direct_link must be an absolute http(s) URL of 8 to 2048 characters
	// sdk: answer Divar would reject: /widgets/1/group_info_row/items: has 1 items, Divar takes 2 or 3
}

func ExampleClient_SendMessage() {
	client, err := sdk.NewClient(sdk.ClientConfig{APIKey: "the app's API key from the Kenar panel"})
	if err != nil {
		panic(err)
	}
	// The user's token, from the add-on's oauth2.Config (its TokenSource
	// refreshes it).
	user := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ory_at_…"})
	// A message Divar would refuse is refused before sending.
	err = client.SendMessage(context.Background(), user, "6b3d5cf7-9291-4fa9-892a-9d07e300daea", sdk.ChatText(""))
	fmt.Println(err)
	// Output:
	// sdk: sendConversationMessage: not sent: a request Divar would refuse: /message: is empty
}
