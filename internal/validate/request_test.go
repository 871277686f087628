package validate

import (
	stdjson "encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// requestSchema is a message body as kenarkit's overlay writes Divar's:
// a text or a media token, not both, each non-empty; buttons whose icon
// is one of an enum.
const requestSchema = `{
  "type": "object",
  "not": {"anyOf": [
    {"required": ["message", "media_token"]},
    {"not": {"anyOf": [{"required": ["message"]}, {"required": ["media_token"]}]}}
  ]},
  "properties": {
    "message": {"type": "string", "minLength": 1},
    "media_token": {"type": "string", "minLength": 1},
    "buttons": {"type": "array", "maxItems": 2, "items": {
      "type": "object", "required": ["caption"],
      "properties": {"caption": {"type": "string"}, "icon": {"type": "string", "enum": ["ADD", "ADD_BOX", "a.b"]}}
    }}
  }
}`

func loadSchema(t *testing.T, text string) *openapi3.Schema {
	t.Helper()
	s := new(openapi3.Schema)
	if err := s.UnmarshalJSON([]byte(text)); err != nil {
		t.Fatal(err)
	}
	return s
}

// The client's compiled check gives kin-openapi's verdict, field by field,
// on the two keywords it adds (an enum, a "not" of required members) and
// the fast path's own.
func TestCompileBodyMatchesKin(t *testing.T) {
	s := loadSchema(t, requestSchema)
	check, err := CompileBody(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"a text", `{"message":"x"}`, ""},
		{"a media token", `{"media_token":"m"}`, ""},
		{"both", `{"message":"x","media_token":"m"}`, "body: " + PresenceDetail},
		{"neither", `{"buttons":[]}`, "body: " + PresenceDetail},
		{"an empty text", `{"message":""}`, "/message: must have at least 1 characters"},
		{"an icon of the enum", `{"message":"x","buttons":[{"caption":"c","icon":"ADD_BOX"}]}`, ""},
		{"a prefix of an icon", `{"message":"x","buttons":[{"caption":"c","icon":"ADD_"}]}`, "/buttons/0/icon: " + EnumDetail},
		{"a dot is not any character", `{"message":"x","buttons":[{"caption":"c","icon":"aXb"}]}`, "/buttons/0/icon: " + EnumDetail},
		{"an icon that is not a string", `{"message":"x","buttons":[{"caption":"c","icon":1}]}`, "/buttons/0/icon: must be a string"},
		{"three buttons, one without a caption", `{"message":"x","buttons":[{"caption":"c"},{},{"caption":"c"}]}`, "/buttons/1/caption: is required|/buttons: must have at most 2 items"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs, err := check.Check([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range errs {
				p := e.Pointer
				if p == "" {
					p = "body"
				}
				got = append(got, p+": "+e.Detail)
			}
			slices.Sort(got)
			if g := strings.Join(got, "|"); g != tc.want {
				t.Fatalf("got  %q\nwant %q", g, tc.want)
			}
			var v any
			if err := stdjson.Unmarshal([]byte(tc.body), &v); err != nil {
				t.Fatal(err)
			}
			kinErr := s.VisitJSON(v, openapi3.MultiErrors())
			if (kinErr == nil) != (tc.want == "") {
				t.Fatalf("kin-openapi says %v; the compiled check %q", kinErr, tc.want)
			}
		})
	}
}

// A body that is not one JSON object is an error, not field errors.
func TestCompileBodySyntax(t *testing.T) {
	check, err := CompileBody(loadSchema(t, requestSchema))
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{``, `[]`, `{"message":"x"`, `{"message":"x","message":"y"}`, `{"message":"x"} {}`} {
		if _, err := check.Check([]byte(body)); err == nil {
			t.Errorf("%q: accepted", body)
		}
	}
}

// What the compiled check cannot judge as kin-openapi does is left to it.
func TestCompileBodyLeavesToKin(t *testing.T) {
	for _, tc := range []struct{ name, schema string }{
		{"an enum of numbers", `{"type":"integer","enum":[1,2]}`},
		{"an enum and a pattern in one tree", `{"type":"object","properties":{"a":{"type":"string","enum":["x"]},"b":{"type":"string","pattern":"^y"}}}`},
		{"a nullable enum", `{"type":"string","nullable":true,"enum":["x"]}`},
		{"a not below the root", `{"type":"object","properties":{"a":{"type":"object","not":{"required":["b"]}}}}`},
		{"a not on more than presence", `{"type":"object","not":{"properties":{"a":{"type":"string"}}}}`},
		{"a oneOf of types", `{"oneOf":[{"type":"string"},{"type":"integer"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := CompileBody(loadSchema(t, tc.schema)); !errors.Is(err, errUnsupported) {
				t.Fatalf("err = %v, want errUnsupported", err)
			}
		})
	}
}

// A valid body is checked without allocating, but for the walker's
// index of each array item (fast.go's array).
func TestCompileBodyAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled walkers")
	}
	check, err := CompileBody(loadSchema(t, requestSchema))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		body  string
		items float64
	}{
		{`{"message":"x"}`, 0},
		{`{"message":"x","buttons":[{"caption":"c","icon":"ADD"},{"caption":"d"}]}`, 2},
	} {
		body := []byte(tc.body)
		check.Check(body) // fill the pools
		if n := testing.AllocsPerRun(100, func() {
			if errs, err := check.Check(body); err != nil || len(errs) > 0 {
				t.Fatal(errs, err)
			}
		}); n > tc.items {
			t.Errorf("%s: %v allocations a check, want at most %v", tc.body, n, tc.items)
		}
	}
}
