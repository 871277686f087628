package sdk

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/internal/jsonscan"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// indexOf lists the top-level members of body as jsontext finds them: the
// index the server's validator builds (internal/validate's
// TestScannerIndexIsTheDecoders holds it to the same spans).
func indexOf(t testing.TB, body []byte) *jsonscan.Index {
	t.Helper()
	d := jsontext.NewDecoder(bytes.NewReader(body))
	if _, err := d.ReadToken(); err != nil {
		t.Fatal(err)
	}
	span := func() jsonscan.Span {
		v, err := d.ReadValue()
		if err != nil {
			t.Fatal(err)
		}
		end := int(d.InputOffset())
		return jsonscan.Span{Start: end - len(v), End: end}
	}
	x := new(jsonscan.Index)
	for d.PeekKind() != '}' {
		name := span()
		x.Add(jsonscan.Member{Name: name, Value: span()})
	}
	return x
}

var indexedBodies = []struct{ name, body string }{
	{"seed init", `{"return_url":"https://divar.ir/","source":"POST_ADDON","post_token":"wZC44q5D","conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"Supply","extra_data":{"your_key_1":"your value","your_key_2":"your value"},"user_id":"6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI="}`},
	{"current init", `{"completion_url":"https://divar.ir/x","provider_data":{"a":[1,{"b":null}]},"post_token":null}`},
	{"seed dynamic action", `{"touchpoint":"CHAT","post_token":"wZC44q5D","conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"SUPPLY","extra_data":{"your_key_1":"your value"}}`},
	{"empty", `{}`},
	{"white space", " {\n\t\"post_token\" : \"a\" ,\r\n \"extra_data\" : { } } "},
	{"escapes", `{"post_token":"a\"b\\c\u00e9\n","ret\u0075rn_url":"x","extra_data":{"k\u0031":"\u0076"}}`},
	{"persian", `{"user_side":"عرضه","extra_data":{"پیام":"سلام"}}`},
	{"nulls", `{"source":null,"extra_data":null,"provider_data":null,"user_id":null}`},
	{"unknown members", `{"coupon":"x","POST_TOKEN":"upper case is another name","nested":{"post_token":"y"},"n":[1,2]}`},
	{"a number for a string", `{"post_token":7}`},
	{"an array for data", `{"extra_data":[1]}`},
	{"a string for data", `{"extra_data":"x"}`},
	{"an object for a string", `{"user_id":{"a":1}}`},
	{"true for a string", `{"touchpoint":true}`},
}

// TestUnmarshalIndexedIsUnmarshal: decoding from the index gives what
// Unmarshal gives, Raw and data views included, and fails where Unmarshal
// fails, at the same member.
func TestUnmarshalIndexedIsUnmarshal(t *testing.T) {
	for _, tc := range indexedBodies {
		t.Run(tc.name, func(t *testing.T) {
			checkIndexed[OpenServerLinkRequest](t, []byte(tc.body))
			checkIndexed[DynamicActionRequest](t, []byte(tc.body))
		})
	}
}

// FuzzUnmarshalIndexed: TestUnmarshalIndexedIsUnmarshal on any JSON
// object without a duplicated name or invalid UTF-8 (what the validator
// indexes).
func FuzzUnmarshalIndexed(f *testing.F) {
	for _, tc := range indexedBodies {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var m map[string]jsontext.Value
		if json.Unmarshal(body, &m) != nil || m == nil {
			return // not what the validator indexes
		}
		checkIndexed[OpenServerLinkRequest](t, body)
		checkIndexed[DynamicActionRequest](t, body)
	})
}

func checkIndexed[T any, P interface {
	*T
	indexedRequest
}](t *testing.T, body []byte) {
	t.Helper()
	var want, got T
	wantErr := Unmarshal(body, P(&want))
	input := bytes.Clone(body)
	gotErr := UnmarshalIndexed(input, indexOf(t, body), P(&got))
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("%T: Unmarshal: %v; UnmarshalIndexed: %v", got, wantErr, gotErr)
	}
	if wantErr != nil {
		var we, ge *json.SemanticError
		if !errors.As(wantErr, &we) || !errors.As(gotErr, &ge) || we.JSONPointer != ge.JSONPointer {
			t.Fatalf("%T: Unmarshal: %v; UnmarshalIndexed: %v", got, wantErr, gotErr)
		}
		return
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%T:\nUnmarshal        %+v\nUnmarshalIndexed %+v", got, want, got)
	}
	// The request keeps its own copy: the body may be reused.
	for i := range input {
		input[i] = ' '
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%T changed with the body it was decoded from", got)
	}
}

// TestIndexedFieldsAreTheTags: each request type's field method sends
// each member name to the field of that json tag, and no other name
// anywhere.
func TestIndexedFieldsAreTheTags(t *testing.T) {
	for _, r := range []indexedRequest{new(OpenServerLinkRequest), new(DynamicActionRequest)} {
		v := reflect.ValueOf(r).Elem()
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() {
				continue
			}
			str, raw := r.field([]byte(name))
			var got any
			switch {
			case str != nil:
				got = str
			case raw != nil:
				got = raw
			}
			if want := v.Field(i).Addr(); got == nil || reflect.ValueOf(got).Pointer() != want.Pointer() {
				t.Errorf("%T: %q does not go to %s", r, name, f.Name)
			}
		}
		for _, other := range []string{"", "POST_TOKEN", "post_token ", "raw", "extra"} {
			if str, raw := r.field([]byte(other)); str != nil || raw != nil {
				t.Errorf("%T: %q goes to a field", r, other)
			}
		}
	}
}
