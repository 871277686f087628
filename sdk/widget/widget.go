package widget

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kenarkit/kenarkit/internal/check"
	"github.com/kenarkit/kenarkit/sdk"
)

// PostAddon is what an add-on attaches to a post: its widgets, top to
// bottom, and optionally semantic facts about the post and notes for Divar.
// Send it with divar.Client.CreatePostAddon; build it with [Addon]:
//
//	widget.Addon(
//		widget.TitleRow("بازدید کارشناس"),
//		widget.ButtonBar("رزرو بازدید", sdk.OpenServerLink(sdk.Data{"step": "book"})),
//	)
//
// Its JSON is Divar's request body (kenar-docs docs/widgets/ReadMe.md).
type PostAddon struct {
	Widgets  []Widget          `json:"widgets"`
	Semantic map[string]string `json:"semantic,omitempty"`
	Notes    string            `json:"notes,omitempty"`
}

// Addon returns a post add-on showing widgets, top to bottom.
func Addon(widgets ...Widget) PostAddon { return PostAddon{Widgets: widgets} }

// WithSemantic returns a with semantic facts about the post
// (kenar-docs docs/semantic/semantic_data.md).
func (a PostAddon) WithSemantic(facts map[string]string) PostAddon {
	a.Semantic = facts
	return a
}

// WithNotes returns a with notes for Divar.
func (a PostAddon) WithNotes(notes string) PostAddon {
	a.Notes = notes
	return a
}

// Validate reports every limit of Divar's that a breaks, each naming the
// field by JSON pointer (/widgets/2/button_bar/title), joined in one error
// that is [sdk.ErrInvalidAnswer].
func (a PostAddon) Validate() error {
	var errs []error
	if len(a.Widgets) == 0 {
		errs = append(errs, check.Refuse("/widgets", "an add-on needs at least one widget"))
	}
	for i, w := range a.Widgets {
		errs = w.problems("/widgets/"+strconv.Itoa(i), errs)
	}
	for k, v := range a.Semantic {
		if k == "" {
			errs = append(errs, check.Refuse("/semantic", "a key is empty"))
		}
		if utf8.RuneCountInString(v) > maxSemanticValue {
			errs = append(errs, check.Refuse("/semantic/"+check.EscapePointer(k), "longer than %d characters", maxSemanticValue))
		}
	}
	return errors.Join(errs...)
}

const maxSemanticValue = 4096

// WidgetColor is one of the colours Divar's widgets take
// (kenar-docs docs/widgets/color.md): [ColorSuccessPrimary],
// [ColorSuccessSecondary], [ColorWarningPrimary], [ColorWarningSecondary],
// [ColorErrorPrimary]. Each is declared on its own, so that `go doc` lists
// them all.
type WidgetColor string

// ColorSuccessPrimary is Divar's strong green.
const ColorSuccessPrimary WidgetColor = "SUCCESS_PRIMARY"

// ColorSuccessSecondary is Divar's light green.
const ColorSuccessSecondary WidgetColor = "SUCCESS_SECONDARY"

// ColorWarningPrimary is Divar's strong orange.
const ColorWarningPrimary WidgetColor = "WARNING_PRIMARY"

// ColorWarningSecondary is Divar's light orange.
const ColorWarningSecondary WidgetColor = "WARNING_SECONDARY"

// ColorErrorPrimary is Divar's red.
const ColorErrorPrimary WidgetColor = "ERROR_PRIMARY"

// Valid reports whether Divar documents c.
func (c WidgetColor) Valid() bool {
	switch c {
	case ColorSuccessPrimary, ColorSuccessSecondary, ColorWarningPrimary, ColorWarningSecondary, ColorErrorPrimary:
		return true
	}
	return false
}

// Widget is one widget of a post add-on: exactly one kind's data, and
// optionally semantic paths naming fields of that data. Build one with
// [TitleRow], [SubtitleRow], [DescriptionRow], [ButtonBar], [SelectorRow],
// [PercentageScoreRow], [DescriptiveScoreRow], [EventRow], [EvaluationRow],
// [GroupInfoRow] or [ImageCarouselRow], then refine it with the With
// methods; a With method that does not apply to the widget's kind makes
// Validate fail, rather than being dropped in silence.
type Widget struct {
	TitleRow         *TitleRowData         `json:"title_row,omitempty"`
	SubtitleRow      *SubtitleRowData      `json:"subtitle_row,omitempty"`
	DescriptionRow   *DescriptionRowData   `json:"description_row,omitempty"`
	ButtonBar        *ButtonBarData        `json:"button_bar,omitempty"`
	SelectorRow      *SelectorRowData      `json:"selector_row,omitempty"`
	ScoreRow         *ScoreRowData         `json:"score_row,omitempty"`
	EventRow         *EventRowData         `json:"event_row,omitempty"`
	EvaluationRow    *EvaluationRowData    `json:"evaluation_row,omitempty"`
	GroupInfoRow     *GroupInfoRowData     `json:"group_info_row,omitempty"`
	ImageCarouselRow *ImageCarouselRowData `json:"image_carousel_row,omitempty"`
	// SemanticPaths names fields of the widget's data for Divar: a key for
	// the information, and the field-mask path to it from inside the
	// widget's data, without array indexes ("action.open_direct_link").
	SemanticPaths map[string]string `json:"semantic_paths,omitempty"`

	misuse []string // With methods that did not apply to the kind
}

// TitleRowData is a title_row (kenar-docs docs/widgets/title_row.md):
// text of at most 49 characters.
type TitleRowData struct {
	Text       string `json:"text"`
	HasDivider bool   `json:"has_divider"`
}

// SubtitleRowData is a subtitle_row (docs/widgets/subtitle_row.md): text of
// at most 200 characters.
type SubtitleRowData struct {
	Text       string `json:"text"`
	HasDivider bool   `json:"has_divider"`
}

// DescriptionRowData is a description_row (docs/widgets/description_row.md):
// text of at most 200 characters unless expandable, which shows the start
// of the text until the user taps it.
type DescriptionRowData struct {
	Text       string `json:"text"`
	HasDivider bool   `json:"has_divider"`
	Expandable bool   `json:"expandable"`
}

// ButtonBarData is a button_bar (docs/widgets/button_bar.md): a wide
// button whose title has at most 49 characters.
type ButtonBarData struct {
	Title  string     `json:"title"`
	Action sdk.Action `json:"action"`
}

// SelectorRowData is a selector_row (docs/widgets/selector_row.md): a row
// whose title has at most 200 characters, with an optional action.
type SelectorRowData struct {
	Title      string      `json:"title"`
	ImageID    string      `json:"image_id,omitempty"`
	HasDivider bool        `json:"has_divider"`
	IconName   string      `json:"icon_name,omitempty"`
	Action     *sdk.Action `json:"action,omitempty"`
}

// ScoreRowData is a score_row (docs/widgets/score_row.md): a title of at
// most 25 characters and either a percentage (0 to 100) or a descriptive
// score of at most 17 characters, with an optional action.
type ScoreRowData struct {
	Title            string      `json:"title"`
	PercentageScore  *int        `json:"percentage_score,omitempty"`
	DescriptiveScore string      `json:"descriptive_score,omitempty"`
	ScoreColor       WidgetColor `json:"score_color,omitempty"`
	HasDivider       bool        `json:"has_divider"`
	IconName         string      `json:"icon_name,omitempty"`
	Action           *sdk.Action `json:"action,omitempty"`
}

// EventRowData is an event_row (docs/widgets/event_row.md): title of at
// most 24 characters, subtitle 59, label 15. Divar's schema (addonsEventRow)
// gives it no action, although one example in docs/widgets/ReadMe.md shows
// one; kenarkit does not send one.
type EventRowData struct {
	Title      string `json:"title"`
	Subtitle   string `json:"subtitle,omitempty"`
	Label      string `json:"label,omitempty"`
	ImageID    string `json:"image_id,omitempty"`
	HasDivider bool   `json:"has_divider"`
	IconName   string `json:"icon_name,omitempty"`
}

// EvaluationRowData is an evaluation_row (docs/widgets/evaluation_row.md):
// three sections of at most 18 characters each and an indicator at a
// percentage (0 to 100) of the width.
type EvaluationRowData struct {
	Left                EvaluationSection `json:"left"`
	Middle              EvaluationSection `json:"middle"`
	Right               EvaluationSection `json:"right"`
	IndicatorText       string            `json:"indicator_text,omitempty"`
	IndicatorPercentage int               `json:"indicator_percentage"`
	IconName            string            `json:"icon_name,omitempty"`
}

// EvaluationSection is one of an evaluation row's three sections.
type EvaluationSection struct {
	Text         string      `json:"text"`
	SectionColor WidgetColor `json:"section_color,omitempty"`
}

// GroupInfoRowData is a group_info_row (docs/widgets/group_info_row.md): 2
// or 3 items, each a title of at most 50 characters over a value of at most
// 100.
type GroupInfoRowData struct {
	Items      []GroupInfoItem `json:"items"`
	HasDivider bool            `json:"has_divider"`
}

// GroupInfoItem is one item of a group info row.
type GroupInfoItem struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// ImageCarouselRowData is an image_carousel_row
// (docs/widgets/image_carousel_row.md): images, each uploaded first
// (docs/widgets/image.md), with a description.
type ImageCarouselRowData struct {
	Items      []CarouselImage `json:"items"`
	HasDivider bool            `json:"has_divider"`
}

// CarouselImage is one image of an image carousel row.
type CarouselImage struct {
	ImageID     string `json:"image_id"`
	Description string `json:"description,omitempty"`
}

// TitleRow returns a title_row showing text.
func TitleRow(text string) Widget { return Widget{TitleRow: &TitleRowData{Text: text}} }

// SubtitleRow returns a subtitle_row showing text.
func SubtitleRow(text string) Widget { return Widget{SubtitleRow: &SubtitleRowData{Text: text}} }

// DescriptionRow returns a description_row showing text; see
// [Widget.Expandable] for a longer text.
func DescriptionRow(text string) Widget {
	return Widget{DescriptionRow: &DescriptionRowData{Text: text}}
}

// ButtonBar returns a button_bar: a wide button showing title that runs a.
func ButtonBar(title string, a sdk.Action) Widget {
	return Widget{ButtonBar: &ButtonBarData{Title: title, Action: a}}
}

// SelectorRow returns a selector_row showing title; give it an action with
// [Widget.WithAction].
func SelectorRow(title string) Widget { return Widget{SelectorRow: &SelectorRowData{Title: title}} }

// PercentageScoreRow returns a score_row showing title and a score of
// percent (0 to 100).
func PercentageScoreRow(title string, percent int) Widget {
	return Widget{ScoreRow: &ScoreRowData{Title: title, PercentageScore: &percent}}
}

// DescriptiveScoreRow returns a score_row showing title and a short
// descriptive score.
func DescriptiveScoreRow(title, score string) Widget {
	return Widget{ScoreRow: &ScoreRowData{Title: title, DescriptiveScore: score}}
}

// EventRow returns an event_row showing title over subtitle (which may be
// empty).
func EventRow(title, subtitle string) Widget {
	return Widget{EventRow: &EventRowData{Title: title, Subtitle: subtitle}}
}

// EvaluationRow returns an evaluation_row of three sections with an
// indicator showing text at percent (0 to 100) of the width, from the left.
func EvaluationRow(indicatorText string, percent int, left, middle, right EvaluationSection) Widget {
	return Widget{EvaluationRow: &EvaluationRowData{
		Left: left, Middle: middle, Right: right,
		IndicatorText: indicatorText, IndicatorPercentage: percent,
	}}
}

// Section returns an evaluation row's section showing text on color.
func Section(text string, color WidgetColor) EvaluationSection {
	return EvaluationSection{Text: text, SectionColor: color}
}

// GroupInfoRow returns a group_info_row of 2 or 3 items.
func GroupInfoRow(items ...GroupInfoItem) Widget {
	return Widget{GroupInfoRow: &GroupInfoRowData{Items: items}}
}

// Info returns a group info row's item: title over value.
func Info(title, value string) GroupInfoItem { return GroupInfoItem{Title: title, Value: value} }

// ImageCarouselRow returns an image_carousel_row of images.
func ImageCarouselRow(images ...CarouselImage) Widget {
	return Widget{ImageCarouselRow: &ImageCarouselRowData{Items: images}}
}

// Image returns a carousel image: an uploaded image's id and a description.
func Image(imageID, description string) CarouselImage {
	return CarouselImage{ImageID: imageID, Description: description}
}

// settable points into a copy of the data of w's kind, which w now holds,
// at the options that kind has (nil where it has none), so that a With
// method changes the widget it returns and never the one it was given.
type settable struct {
	divider   *bool
	action    **sdk.Action // selector_row, score_row
	barAction *sdk.Action  // button_bar
	icon      *string
	image     *string
}

func (w *Widget) settable() settable {
	switch {
	case w.TitleRow != nil:
		w.TitleRow = ptr(*w.TitleRow)
		return settable{divider: &w.TitleRow.HasDivider}
	case w.SubtitleRow != nil:
		w.SubtitleRow = ptr(*w.SubtitleRow)
		return settable{divider: &w.SubtitleRow.HasDivider}
	case w.DescriptionRow != nil:
		w.DescriptionRow = ptr(*w.DescriptionRow)
		return settable{divider: &w.DescriptionRow.HasDivider}
	case w.ButtonBar != nil:
		w.ButtonBar = ptr(*w.ButtonBar)
		return settable{barAction: &w.ButtonBar.Action}
	case w.SelectorRow != nil:
		r := ptr(*w.SelectorRow)
		w.SelectorRow = r
		return settable{divider: &r.HasDivider, action: &r.Action, icon: &r.IconName, image: &r.ImageID}
	case w.ScoreRow != nil:
		r := ptr(*w.ScoreRow)
		w.ScoreRow = r
		return settable{divider: &r.HasDivider, action: &r.Action, icon: &r.IconName}
	case w.EventRow != nil:
		r := ptr(*w.EventRow)
		w.EventRow = r
		return settable{divider: &r.HasDivider, icon: &r.IconName, image: &r.ImageID}
	case w.EvaluationRow != nil:
		w.EvaluationRow = ptr(*w.EvaluationRow)
		return settable{icon: &w.EvaluationRow.IconName}
	case w.GroupInfoRow != nil:
		w.GroupInfoRow = ptr(*w.GroupInfoRow)
		return settable{divider: &w.GroupInfoRow.HasDivider}
	case w.ImageCarouselRow != nil:
		w.ImageCarouselRow = ptr(*w.ImageCarouselRow)
		return settable{divider: &w.ImageCarouselRow.HasDivider}
	}
	return settable{}
}

// WithDivider returns w with a dividing line under it. Every kind but
// button_bar and evaluation_row has one.
func (w Widget) WithDivider() Widget {
	o := w.settable()
	if o.divider == nil {
		return w.misused("has_divider")
	}
	*o.divider = true
	return w
}

// WithAction returns w running a when tapped: selector_row and score_row
// (a button_bar takes its action in [ButtonBar]).
func (w Widget) WithAction(a sdk.Action) Widget {
	switch o := w.settable(); {
	case o.action != nil:
		*o.action = &a
	case o.barAction != nil:
		*o.barAction = a
	default:
		return w.misused("action")
	}
	return w
}

// WithIcon returns w showing one of Divar's icons by name ("ADD",
// "HISTORY"): selector_row, score_row, event_row and evaluation_row.
func (w Widget) WithIcon(name string) Widget {
	o := w.settable()
	if o.icon == nil {
		return w.misused("icon_name")
	}
	*o.icon = name
	return w
}

// WithImage returns w showing an uploaded image (docs/widgets/image.md), or
// the app's logo for "logo": selector_row and event_row.
func (w Widget) WithImage(imageID string) Widget {
	o := w.settable()
	if o.image == nil {
		return w.misused("image_id")
	}
	*o.image = imageID
	return w
}

// WithLabel returns an event_row with a label in its corner.
func (w Widget) WithLabel(label string) Widget {
	if w.EventRow == nil {
		return w.misused("label")
	}
	w.EventRow = ptr(*w.EventRow)
	w.EventRow.Label = label
	return w
}

// WithColor returns a score_row whose score shows in c.
func (w Widget) WithColor(c WidgetColor) Widget {
	if w.ScoreRow == nil {
		return w.misused("score_color")
	}
	w.ScoreRow = ptr(*w.ScoreRow)
	w.ScoreRow.ScoreColor = c
	return w
}

// Expandable returns a description_row whose text shows folded until the
// user taps it; its text may then exceed 200 characters.
func (w Widget) Expandable() Widget {
	if w.DescriptionRow == nil {
		return w.misused("expandable")
	}
	w.DescriptionRow = ptr(*w.DescriptionRow)
	w.DescriptionRow.Expandable = true
	return w
}

// WithSemanticPath returns w naming one field of its data for Divar: key
// for the information, path from inside the widget's data ("text",
// "action.open_direct_link").
func (w Widget) WithSemanticPath(key, path string) Widget {
	m := make(map[string]string, len(w.SemanticPaths)+1)
	for k, v := range w.SemanticPaths {
		m[k] = v
	}
	m[key] = path
	w.SemanticPaths = m
	return w
}

func (w Widget) misused(field string) Widget {
	w.misuse = append(w.misuse[:len(w.misuse):len(w.misuse)], field)
	return w
}

func ptr[T any](v T) *T { return &v }

// Kind returns the JSON name of w's kind ("title_row"), or "" when w sets
// none or more than one.
func (w Widget) Kind() string {
	kinds := w.kinds()
	if len(kinds) != 1 {
		return ""
	}
	return kinds[0]
}

func (w Widget) kinds() []string {
	var k []string
	for _, c := range []struct {
		set  bool
		name string
	}{
		{w.TitleRow != nil, "title_row"},
		{w.SubtitleRow != nil, "subtitle_row"},
		{w.DescriptionRow != nil, "description_row"},
		{w.ButtonBar != nil, "button_bar"},
		{w.SelectorRow != nil, "selector_row"},
		{w.ScoreRow != nil, "score_row"},
		{w.EventRow != nil, "event_row"},
		{w.EvaluationRow != nil, "evaluation_row"},
		{w.GroupInfoRow != nil, "group_info_row"},
		{w.ImageCarouselRow != nil, "image_carousel_row"},
	} {
		if c.set {
			k = append(k, c.name)
		}
	}
	return k
}

// Validate reports every limit of Divar's that w breaks, each naming the
// field by JSON pointer from the widget (/button_bar/title), joined in one
// error that is [sdk.ErrInvalidAnswer]. [PostAddon.Validate] names them from
// the add-on (/widgets/2/button_bar/title).
func (w Widget) Validate() error { return errors.Join(w.problems("", nil)...) }

// problems appends to errs what is wrong with w, found at the pointer at.
func (w Widget) problems(at string, errs []error) []error {
	kinds := w.kinds()
	switch len(kinds) {
	case 0:
		return append(errs, check.Refuse(at, "a widget must set one kind (title_row, button_bar, …), it sets none"))
	case 1:
	default:
		return append(errs, check.Refuse(at, "a widget must set exactly one kind, it sets %s", strings.Join(kinds, ", ")))
	}
	base := at
	at += "/" + kinds[0]
	for _, f := range w.misuse {
		errs = append(errs, check.Refuse(at+"/"+f, "%s has no %s", kinds[0], f))
	}
	c := checker{check.Checker{Errs: errs}}
	switch {
	case w.TitleRow != nil:
		c.field(at+"/text", "TitleRow.text", w.TitleRow.Text)
	case w.SubtitleRow != nil:
		c.field(at+"/text", "SubtitleRow.text", w.SubtitleRow.Text)
	case w.DescriptionRow != nil:
		if w.DescriptionRow.Expandable {
			c.field(at+"/text", "DescriptionRow.text", w.DescriptionRow.Text)
		} else {
			c.Text(at+"/text", w.DescriptionRow.Text, 1, maxDescription)
		}
	case w.ButtonBar != nil:
		c.field(at+"/title", "ButtonBar.title", w.ButtonBar.Title)
		c.action(at+"/action", &w.ButtonBar.Action)
	case w.SelectorRow != nil:
		r := w.SelectorRow
		c.field(at+"/title", "SelectorRow.title", r.Title)
		c.image(at+"/image_id", r.ImageID)
		c.Icon(at+"/icon_name", r.IconName)
		c.action(at+"/action", r.Action)
	case w.ScoreRow != nil:
		r := w.ScoreRow
		c.field(at+"/title", "ScoreRow.title", r.Title)
		switch {
		case r.PercentageScore != nil && r.DescriptiveScore != "":
			c.Add(at, "a score_row has either percentage_score or descriptive_score, not both")
		case r.PercentageScore != nil:
			c.percent(at+"/percentage_score", *r.PercentageScore)
		case r.DescriptiveScore != "":
			c.field(at+"/descriptive_score", "ScoreRow.descriptive_score", r.DescriptiveScore)
		default:
			c.Add(at, "a score_row needs percentage_score or descriptive_score")
		}
		c.color(at+"/score_color", r.ScoreColor, true)
		c.Icon(at+"/icon_name", r.IconName)
		c.action(at+"/action", r.Action)
	case w.EventRow != nil:
		r := w.EventRow
		c.field(at+"/title", "EventRow.title", r.Title)
		c.field(at+"/subtitle", "EventRow.subtitle", r.Subtitle)
		c.field(at+"/label", "EventRow.label", r.Label)
		c.image(at+"/image_id", r.ImageID)
		c.Icon(at+"/icon_name", r.IconName)
	case w.EvaluationRow != nil:
		r := w.EvaluationRow
		for _, s := range []struct {
			name string
			s    EvaluationSection
		}{{"left", r.Left}, {"middle", r.Middle}, {"right", r.Right}} {
			c.field(at+"/"+s.name+"/text", "EvaluationSection.text", s.s.Text)
			c.color(at+"/"+s.name+"/section_color", s.s.SectionColor, true)
		}
		c.field(at+"/indicator_text", "EvaluationRow.indicator_text", r.IndicatorText)
		c.percent(at+"/indicator_percentage", r.IndicatorPercentage)
		c.Icon(at+"/icon_name", r.IconName)
	case w.GroupInfoRow != nil:
		items := w.GroupInfoRow.Items
		if n := len(items); n < 2 || n > 3 {
			c.Add(at+"/items", "has %d items, Divar takes 2 or 3", n)
		}
		for i, it := range items {
			p := at + "/items/" + strconv.Itoa(i)
			c.field(p+"/title", "GroupInfoItem.title", it.Title)
			c.field(p+"/value", "GroupInfoItem.value", it.Value)
		}
	case w.ImageCarouselRow != nil:
		items := w.ImageCarouselRow.Items
		if len(items) == 0 {
			c.Add(at+"/items", "an image carousel needs at least one image")
		}
		for i, it := range items {
			p := at + "/items/" + strconv.Itoa(i)
			if it.ImageID == "" {
				c.Add(p+"/image_id", "is empty")
			}
			c.image(p+"/image_id", it.ImageID)
			c.field(p+"/description", "ImageCarouselItem.description", it.Description)
		}
	}
	for k, path := range w.SemanticPaths {
		p := base + "/semantic_paths/" + check.EscapePointer(k)
		switch {
		case k == "":
			c.Add(p, "a semantic path's key is empty")
		case !fieldMask(path):
			c.Add(p, "%q is not a field path from inside the widget's data (names joined by '.', no array index)", path)
		}
	}
	return c.Errs
}

// maxDescription bounds a description's text unless it is expandable,
// whose bound is the spec's (DescriptionRow.text).
const maxDescription = 200

// checker collects every problem of an add-on, not just the first.
type checker struct{ check.Checker }

// field checks s, the text field key ("Schema.property") of
// api/kenar-api.yaml found at pointer, against the spec's lengths
// (limits.gen.go). A key the spec does not bound is a bug of kenarkit's.
func (c *checker) field(pointer, key, s string) {
	l, ok := limits[key]
	if !ok {
		panic("sdk/widget: api/kenar-api.yaml sets no length on " + key)
	}
	c.Text(pointer, s, l[0], l[1])
}

func (c *checker) percent(pointer string, p int) {
	if p < 0 || p > 100 {
		c.Add(pointer, "%d is not a percentage from 0 to 100", p)
	}
}

func (c *checker) color(pointer string, col WidgetColor, optional bool) {
	if col == "" && optional {
		return
	}
	if !col.Valid() {
		c.Add(pointer, "%q is not one of Divar's colours (SUCCESS_PRIMARY, SUCCESS_SECONDARY, WARNING_PRIMARY, WARNING_SECONDARY, ERROR_PRIMARY)", string(col))
	}
}

func (c *checker) image(pointer, id string) {
	if id == "" {
		return
	}
	if utf8.RuneCountInString(id) > 256 || strings.ContainsAny(id, " \t\r\n/") {
		c.Add(pointer, "%q is not an image id (upload the image first, or use \"logo\")", id)
	}
}

// action checks an optional action, naming its fields from pointer.
func (c *checker) action(pointer string, a *sdk.Action) {
	if a != nil {
		c.At(pointer, a.Validate())
	}
}

// fieldMask reports whether p is a protobuf field-mask path without array
// indexes: names of letters, digits and _ joined by '.'.
func fieldMask(p string) bool {
	if p == "" || len(p) > 256 {
		return false
	}
	for _, name := range strings.Split(p, ".") {
		if name == "" || '0' <= name[0] && name[0] <= '9' {
			return false
		}
		for i := 0; i < len(name); i++ {
			if b := name[i]; !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_') {
				return false
			}
		}
	}
	return true
}
