package widget_test

import (
	"errors"
	"fmt"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/widget"
)

func ExampleAddon() {
	// A post add-on: a title, facts, and a button that makes Divar call the
	// add-on's init callback with this data as extra_data.
	addon := widget.Addon(
		widget.TitleRow("بازدید کارشناس").WithDivider(),
		widget.GroupInfoRow(widget.Info("متراژ", "۸۰"), widget.Info("طبقه", "۳")),
		widget.ButtonBar("رزرو بازدید", sdk.OpenServerLink(sdk.Data{"step": "book"})),
	)
	fmt.Println(addon.Validate())
	b, _ := sdk.MarshalAnswer(addon)
	fmt.Println(string(b))
	// Output:
	// <nil>
	// {"widgets":[{"title_row":{"text":"بازدید کارشناس","has_divider":true}},{"group_info_row":{"items":[{"title":"متراژ","value":"۸۰"},{"title":"طبقه","value":"۳"}],"has_divider":false}},{"button_bar":{"title":"رزرو بازدید","action":{"open_server_link":{"data":{"step":"book"}}}}}]}
}

func ExampleWidget_Validate() {
	err := widget.Addon(
		widget.ButtonBar("", sdk.OpenDirectLink("/pay")),
		widget.GroupInfoRow(widget.Info("متراژ", "۸۰")),
	).Validate()
	fmt.Println(errors.Is(err, sdk.ErrInvalidAnswer))
	fmt.Println(err)
	// Output:
	// true
	// sdk: answer Divar would reject: /widgets/0/button_bar/title: is empty
	// sdk: answer Divar would reject: /widgets/0/button_bar/action/open_direct_link must be an absolute http(s) URL of 8 to 2048 characters
	// sdk: answer Divar would reject: /widgets/1/group_info_row/items: has 1 items, Divar takes 2 or 3
}
