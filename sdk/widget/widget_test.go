package widget_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/widget"
)

// The examples of Divar's widget docs (divar-ir/kenar-docs, the path in
// each case's name), restated by hand in compact JSON. Where a doc's
// example differs from Divar's schema (static/openapi-v3.json), the
// difference is noted and the schema is followed.
func TestWidgetsMatchDivarsExamples(t *testing.T) {
	link := sdk.OpenDirectLink("https://google.com")
	for _, tc := range []struct {
		doc  string
		w    widget.Widget
		want string
	}{
		{"docs/widgets/title_row.md",
			widget.TitleRow("این یک تایتل رو هست").WithDivider().WithSemanticPath("information", "text"),
			`{"title_row":{"text":"این یک تایتل رو هست","has_divider":true},"semantic_paths":{"information":"text"}}`},
		{"docs/widgets/subtitle_row.md",
			widget.SubtitleRow("این یک سابتایتل رو هست").WithDivider().WithSemanticPath("information", "text"),
			`{"subtitle_row":{"text":"این یک سابتایتل رو هست","has_divider":true},"semantic_paths":{"information":"text"}}`},
		{"docs/widgets/description_row.md",
			widget.DescriptionRow("این یک دسکریپشن رو هست").WithSemanticPath("a sample sentence", "text"),
			`{"description_row":{"text":"این یک دسکریپشن رو هست","has_divider":false,"expandable":false},"semantic_paths":{"a sample sentence":"text"}}`},
		{"docs/widgets/button_bar.md",
			widget.ButtonBar("some brilliant title", link),
			`{"button_bar":{"title":"some brilliant title","action":{"open_direct_link":"https://google.com"}}}`},
		{"docs/widgets/selector_row.md",
			widget.SelectorRow("این یک سلکتور رو هست").WithImage("someuuid.jpg").WithIcon("ADD").WithAction(link),
			`{"selector_row":{"title":"این یک سلکتور رو هست","image_id":"someuuid.jpg","has_divider":false,"icon_name":"ADD","action":{"open_direct_link":"https://google.com"}}}`},
		// The doc spells has_divider "hasDivider"; the schema (addonsScoreRow) has_divider.
		{"docs/widgets/score_row.md percentage",
			widget.PercentageScoreRow("متن تایتل", 80).WithColor(widget.ColorSuccessPrimary).WithDivider().WithIcon("HISTORY").WithAction(link).
				WithSemanticPath("inspection_result", "percentage_score"),
			`{"score_row":{"title":"متن تایتل","percentage_score":80,"score_color":"SUCCESS_PRIMARY","has_divider":true,"icon_name":"HISTORY","action":{"open_direct_link":"https://google.com"}},"semantic_paths":{"inspection_result":"percentage_score"}}`},
		{"docs/widgets/score_row.md descriptive",
			widget.DescriptiveScoreRow("متن تایتل", "متن توضیحی کوتاه").WithColor(widget.ColorSuccessPrimary).WithDivider().WithIcon("HISTORY").WithAction(link).
				WithSemanticPath("inspection_result", "descriptive_score"),
			`{"score_row":{"title":"متن تایتل","descriptive_score":"متن توضیحی کوتاه","score_color":"SUCCESS_PRIMARY","has_divider":true,"icon_name":"HISTORY","action":{"open_direct_link":"https://google.com"}},"semantic_paths":{"inspection_result":"descriptive_score"}}`},
		{"docs/widgets/event_row.md",
			widget.EventRow("یه تایتل مناسب", "یه زیر تایتل مناسب تر").WithLabel("یه لیبل زیبا").WithImage("someuuid.jpg").WithDivider().WithIcon("ADD").
				WithSemanticPath("user_face", "image_id"),
			`{"event_row":{"title":"یه تایتل مناسب","subtitle":"یه زیر تایتل مناسب تر","label":"یه لیبل زیبا","image_id":"someuuid.jpg","has_divider":true,"icon_name":"ADD"},"semantic_paths":{"user_face":"image_id"}}`},
		{"docs/widgets/evaluation_row.md",
			widget.EvaluationRow("evaluation", 50,
				widget.Section("cheap", widget.ColorSuccessPrimary), widget.Section("fair", widget.ColorWarningSecondary), widget.Section("expensive", widget.ColorErrorPrimary)).
				WithIcon("MONEY").WithSemanticPath("price_evaluation", "indicator_percentage"),
			`{"evaluation_row":{"left":{"text":"cheap","section_color":"SUCCESS_PRIMARY"},"middle":{"text":"fair","section_color":"WARNING_SECONDARY"},"right":{"text":"expensive","section_color":"ERROR_PRIMARY"},"indicator_text":"evaluation","indicator_percentage":50,"icon_name":"MONEY"},"semantic_paths":{"price_evaluation":"indicator_percentage"}}`},
		{"docs/widgets/group_info_row.md",
			widget.GroupInfoRow(widget.Info("متن اول", "مقدار اول"), widget.Info("متن دوم", "مقدار دوم"), widget.Info("متن سوم", "مقدار سوم")).WithDivider().
				WithSemanticPath("some-usefull-key", "items"),
			`{"group_info_row":{"items":[{"title":"متن اول","value":"مقدار اول"},{"title":"متن دوم","value":"مقدار دوم"},{"title":"متن سوم","value":"مقدار سوم"}],"has_divider":true},"semantic_paths":{"some-usefull-key":"items"}}`},
		{"docs/widgets/image_carousel_row.md",
			widget.ImageCarouselRow(widget.Image("e7172fc8-2a9c-43c7-927d-93ac7477eb06.jpg", "1"), widget.Image("979b9755-7b73-4adc-b209-7905300390ba.jpg", "something")).WithDivider().
				WithSemanticPath("house_images", "items"),
			`{"image_carousel_row":{"items":[{"image_id":"e7172fc8-2a9c-43c7-927d-93ac7477eb06.jpg","description":"1"},{"image_id":"979b9755-7b73-4adc-b209-7905300390ba.jpg","description":"something"}],"has_divider":true},"semantic_paths":{"house_images":"items"}}`},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			if err := tc.w.Validate(); err != nil {
				t.Fatalf("Divar's own example is refused: %v", err)
			}
			b, err := sdk.MarshalAnswer(tc.w)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
}

// docs/widgets/ReadMe.md's add-on, first widget (its second, an event_row
// with an action, has no action in Divar's schema: addonsEventRow).
func TestPostAddonMatchesDivarsExample(t *testing.T) {
	a := widget.Addon(widget.DescriptionRow("این یک دسکریپشن رو هست").WithSemanticPath("a sample sentence", "text"))
	b, err := sdk.MarshalAnswer(a)
	if err != nil || a.Validate() != nil {
		t.Fatal(err, a.Validate())
	}
	want := `{"widgets":[{"description_row":{"text":"این یک دسکریپشن رو هست","has_divider":false,"expandable":false},"semantic_paths":{"a sample sentence":"text"}}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	b, _ = sdk.MarshalAnswer(a.WithSemantic(map[string]string{"year": "1398"}).WithNotes("n"))
	if want := want[:len(want)-1] + `,"semantic":{"year":"1398"},"notes":"n"}`; string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestWidgetLimits(t *testing.T) {
	ok := sdk.OpenDirectLink("https://addon.example/x")
	long := func(n int) string { return strings.Repeat("ب", n) }
	for _, tc := range []struct {
		name string
		w    widget.Widget
		want string // "" when valid
	}{
		{"title of 49 characters", widget.TitleRow(long(49)), ""},
		{"title of 50 characters", widget.TitleRow(long(50)), "/widgets/0/title_row/text: longer than 49 characters"},
		{"empty title", widget.TitleRow(""), "/widgets/0/title_row/text: is empty"},
		{"subtitle of 201", widget.SubtitleRow(long(201)), "/widgets/0/subtitle_row/text: longer than 200"},
		{"description of 201", widget.DescriptionRow(long(201)), "/widgets/0/description_row/text: longer than 200"},
		{"expandable description of 201", widget.DescriptionRow(long(201)).Expandable(), ""},
		{"button title of 50", widget.ButtonBar(long(50), ok), "/widgets/0/button_bar/title: longer than 49"},
		{"button without action", widget.ButtonBar("x", sdk.Action{}), "/widgets/0/button_bar/action: an action must set one kind"},
		{"button with a relative link", widget.ButtonBar("x", sdk.OpenDirectLink("/x")), "/widgets/0/button_bar/action/open_direct_link must be an absolute"},
		{"selector title of 201", widget.SelectorRow(long(201)), "/widgets/0/selector_row/title: longer than 200"},
		{"score title of 26", widget.PercentageScoreRow(long(26), 1), "/widgets/0/score_row/title: longer than 25"},
		{"score of 101", widget.PercentageScoreRow("x", 101), "/widgets/0/score_row/percentage_score: 101 is not a percentage"},
		{"score of -1", widget.PercentageScoreRow("x", -1), "/widgets/0/score_row/percentage_score: -1 is not a percentage"},
		{"score of 0", widget.PercentageScoreRow("x", 0), ""},
		{"descriptive score of 18", widget.DescriptiveScoreRow("x", long(18)), "/widgets/0/score_row/descriptive_score: longer than 17"},
		{"no score", widget.DescriptiveScoreRow("x", ""), "/widgets/0/score_row: a score_row needs percentage_score or descriptive_score"},
		{"unknown colour", widget.PercentageScoreRow("x", 1).WithColor("BLUE"), `/widgets/0/score_row/score_color: "BLUE" is not one of Divar's colours`},
		{"event title of 25", widget.EventRow(long(25), ""), "/widgets/0/event_row/title: longer than 24"},
		{"event subtitle of 60", widget.EventRow("x", long(60)), "/widgets/0/event_row/subtitle: longer than 59"},
		{"event label of 16", widget.EventRow("x", "").WithLabel(long(16)), "/widgets/0/event_row/label: longer than 15"},
		{"event row with an action", widget.EventRow("x", "").WithAction(ok), "/widgets/0/event_row/action: event_row has no action"},
		{"title row with an icon", widget.TitleRow("x").WithIcon("ADD"), "/widgets/0/title_row/icon_name: title_row has no icon_name"},
		{"button bar with a divider", widget.ButtonBar("x", ok).WithDivider(), "/widgets/0/button_bar/has_divider: button_bar has no has_divider"},
		{"icon in lower case", widget.SelectorRow("x").WithIcon("add"), `/widgets/0/selector_row/icon_name: "add" is not a Divar icon name`},
		{"evaluation section of 19", widget.EvaluationRow("", 0, widget.Section(long(19), ""), widget.Section("", ""), widget.Section("", "")),
			"/widgets/0/evaluation_row/left/text: longer than 18"},
		{"evaluation at 150%", widget.EvaluationRow("", 150, widget.Section("a", ""), widget.Section("b", ""), widget.Section("c", "")),
			"/widgets/0/evaluation_row/indicator_percentage: 150 is not a percentage"},
		{"group info of 1 item", widget.GroupInfoRow(widget.Info("a", "b")), "/widgets/0/group_info_row/items: has 1 items, Divar takes 2 or 3"},
		{"group info of 4 items", widget.GroupInfoRow(widget.Info("a", "b"), widget.Info("a", "b"), widget.Info("a", "b"), widget.Info("a", "b")), "has 4 items"},
		{"group info title of 51", widget.GroupInfoRow(widget.Info("a", "b"), widget.Info(long(51), "b")), "/widgets/0/group_info_row/items/1/title: longer than 50"},
		{"group info value of 101", widget.GroupInfoRow(widget.Info("a", long(101)), widget.Info("a", "b")), "/widgets/0/group_info_row/items/0/value: longer than 100"},
		{"empty carousel", widget.ImageCarouselRow(), "/widgets/0/image_carousel_row/items: an image carousel needs at least one image"},
		{"carousel image without id", widget.ImageCarouselRow(widget.Image("", "x")), "/widgets/0/image_carousel_row/items/0/image_id: is empty"},
		{"no kind", widget.Widget{}, "/widgets/0: a widget must set one kind"},
		{"two kinds", widget.Widget{TitleRow: &widget.TitleRowData{Text: "a"}, SubtitleRow: &widget.SubtitleRowData{Text: "b"}}, "sets title_row, subtitle_row"},
		{"semantic path with an index", widget.TitleRow("x").WithSemanticPath("k", "items.0"), `/widgets/0/semantic_paths/k: "items.0" is not a field path`},
		{"semantic key with a slash", widget.TitleRow("x").WithSemanticPath("a/b", ""), "/widgets/0/semantic_paths/a~1b:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := widget.Addon(tc.w).Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
				return
			case !errors.Is(err, sdk.ErrInvalidAnswer) || !strings.Contains(err.Error(), tc.want):
				t.Fatalf("Validate = %v\nwant %q", err, tc.want)
			}
		})
	}
}

// Validate names every failing field, not only the first.
func TestValidateListsEveryProblem(t *testing.T) {
	a := widget.Addon(
		widget.TitleRow("ok"),
		widget.ButtonBar(strings.Repeat("x", 50), sdk.OpenDirectLink("ftp://x")),
		widget.GroupInfoRow(widget.Info(strings.Repeat("x", 51), "v")),
	)
	err := a.Validate()
	for _, want := range []string{
		"/widgets/1/button_bar/title: longer than 49 characters (50)",
		"/widgets/1/button_bar/action/open_direct_link must be an absolute http(s) URL",
		"/widgets/2/group_info_row/items: has 1 items",
		"/widgets/2/group_info_row/items/0/title: longer than 50",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 4 {
		t.Errorf("%d problems, want 4:\n%v", n, err)
	}
	if err := widget.Addon().Validate(); err == nil || !strings.Contains(err.Error(), "/widgets: an add-on needs at least one widget") {
		t.Errorf("empty add-on: %v", err)
	}
}

// A With method returns a copy: a widget used as a template is not changed.
func TestWidgetsAreValues(t *testing.T) {
	base := widget.SelectorRow("x")
	_ = base.WithAction(sdk.OpenPostPage("gZd7omnS")).WithDivider().WithSemanticPath("k", "title")
	b, _ := sdk.MarshalAnswer(base)
	if string(b) != `{"selector_row":{"title":"x","has_divider":false}}` {
		t.Errorf("the template changed: %s", b)
	}
}

// A With method returns a changed copy: the widget it was called on, and
// any other widget made from it, keep their data.
func TestWithLeavesTheOriginal(t *testing.T) {
	base := widget.SelectorRow("پیگیری")
	a := base.WithIcon("ADD").WithDivider().WithAction(sdk.OpenDirectLink("https://addon.example/a"))
	b := base.WithImage("logo")
	if base.SelectorRow.IconName != "" || base.SelectorRow.HasDivider || base.SelectorRow.Action != nil || base.SelectorRow.ImageID != "" {
		t.Errorf("the original changed: %+v", *base.SelectorRow)
	}
	if a.SelectorRow.ImageID != "" || b.SelectorRow.IconName != "" {
		t.Errorf("one copy changed another: %+v %+v", *a.SelectorRow, *b.SelectorRow)
	}
	if a.SelectorRow.IconName != "ADD" || !a.SelectorRow.HasDivider || a.SelectorRow.Action == nil || b.SelectorRow.ImageID != "logo" {
		t.Errorf("the options were not set: %+v %+v", *a.SelectorRow, *b.SelectorRow)
	}
	bar := widget.ButtonBar("رزرو", sdk.OpenDirectLink("https://addon.example/1"))
	moved := bar.WithAction(sdk.OpenDirectLink("https://addon.example/2"))
	if bar.ButtonBar.Action.OpenDirectLink != "https://addon.example/1" || moved.ButtonBar.Action.OpenDirectLink != "https://addon.example/2" {
		t.Errorf("button_bar action: %v / %v", bar.ButtonBar.Action, moved.ButtonBar.Action)
	}
	if err := widget.TitleRow("x").WithIcon("ADD").Validate(); err == nil {
		t.Error("an icon on a title_row was accepted")
	}
}
