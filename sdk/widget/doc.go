// Package widget builds the post add-ons an add-on attaches to a post: the
// widgets of Divar's post add-on (title_row, button_bar, score_row, …),
// their colours, and the checks of each against Divar's limits, which are
// read from api/kenar-api.yaml (limits.gen.go). Send an add-on with
// divar.Client.CreatePostAddon:
//
//	widget.Addon(
//		widget.TitleRow("بازدید کارشناس"),
//		widget.ButtonBar("رزرو بازدید", sdk.OpenServerLink(sdk.Data{"step": "book"})),
//	)
//
// A broken limit is an [*sdk.InvalidAnswerError] naming the field by JSON
// pointer; its actions are [sdk.Action]s.
package widget
