package widget

import (
	"errors"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
)

// TestWidgetLengthsComeFromTheSpec: a widget's lengths are read from the
// table go generate writes from api/kenar-api.yaml (limits.gen.go), so a
// change of the spec is the only change a limit needs.
func TestWidgetLengthsComeFromTheSpec(t *testing.T) {
	if err := TitleRow("عنوان").Validate(); err != nil {
		t.Fatalf("a short title: %v", err)
	}
	old := limits["TitleRow.text"]
	t.Cleanup(func() { limits["TitleRow.text"] = old })
	limits["TitleRow.text"] = [2]int{1, 3}
	var e *sdk.InvalidAnswerError
	if err := TitleRow("عنوان").Validate(); !errors.As(err, &e) || e.Detail != "/title_row/text: longer than 3 characters (5)" {
		t.Errorf("with the spec's text at most 3 characters: %v", err)
	}
}
