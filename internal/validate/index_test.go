package validate

import (
	"slices"
	"strings"
	"testing"
)

// TestArrayIndexesInPointers: the walker writes each array item's index
// into one reused buffer; the pointers of failures stay exact across
// nested arrays, indexes of several digits and items after a failure.
func TestArrayIndexesInPointers(t *testing.T) {
	s := loadSchema(t, `{"type": "object", "properties": {"grid": {"type": "array",
		"items": {"type": "array", "items": {"type": "string"}}}}}`)
	check, err := CompileBody(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"nothing wrong", `{"grid":[["a"],[],["b","c"]]}`, ""},
		{"the second item of the first row", `{"grid":[["a",1]]}`, "/grid/0/1"},
		{"nested, then the outer row after it", `{"grid":[["a","b","c","d","e","f","g","h","i","j",1],[2],3]}`, "/grid/0/10|/grid/1/0|/grid/2"},
		{"ten rows and more", `{"grid":[[],[],[],[],[],[],[],[],[],[],[],["a",true]]}`, "/grid/11/1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs, err := check.Check([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Pointer)
			}
			slices.Sort(got)
			if g := strings.Join(got, "|"); g != tc.want {
				t.Errorf("got  %q\nwant %q", g, tc.want)
			}
		})
	}
}

// TestPresenceSeesOnlyTheTopLevel: the presence rule is judged from the
// top-level names the walk keeps, never from a nested object's, whatever
// their order.
func TestPresenceSeesOnlyTheTopLevel(t *testing.T) {
	check, err := CompileBody(loadSchema(t, requestSchema))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		refused    bool
	}{
		{"a text only nested", `{"buttons":[{"caption":"c","message":"x"}]}`, true},
		{"a media token, a text nested", `{"media_token":"m","buttons":[{"caption":"c","message":"x"}]}`, false},
		{"a text after the buttons", `{"buttons":[{"caption":"c","media_token":"m"}],"message":"x"}`, false},
		{"both, around the buttons", `{"message":"x","buttons":[{"caption":"c"}],"media_token":"m"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs, err := check.Check([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			refused := slices.ContainsFunc(errs, func(e FieldError) bool { return e.Pointer == "" && e.Detail == PresenceDetail })
			if refused != tc.refused {
				t.Errorf("refused %v, want %v (%v)", refused, tc.refused, errs)
			}
		})
	}
}
