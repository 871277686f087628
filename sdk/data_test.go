package sdk_test

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/kenarkit/kenarkit/sdk"
)

// TestDataMarshalsAsJSONv2Would: Data writes itself byte for byte as json
// v2's reflection writes the same map[string]any, deterministic, whatever
// its members, their values and names, where it sits (omitempty, a nested
// Data, an answer) and the options; what v2 refuses, it refuses.
func TestDataMarshalsAsJSONv2Would(t *testing.T) {
	many := sdk.Data{}
	for i := range 20 {
		many["k"+strconv.Itoa(19-i)] = i
	}
	type meta struct {
		M sdk.Data `json:"metadata,omitempty"`
	}
	type plainMeta struct {
		M map[string]any `json:"metadata,omitempty"`
	}
	for _, tc := range []struct {
		name        string
		data, plain any
		opts        []json.Options
	}{
		{"nil", sdk.Data(nil), map[string]any(nil), nil},
		{"nil, as null when asked", sdk.Data(nil), map[string]any(nil), []json.Options{json.FormatNilMapAsNull(true)}},
		{"empty", sdk.Data{}, map[string]any{}, nil},
		{"the seed's answer", sdk.Data{"answer": "yes"}, map[string]any{"answer": "yes"}, nil},
		{"more members than the stack holds, sorted", many, map[string]any(many), nil},
		{"names sorted bytewise", sdk.Data{"b": 1, "a": 2, "B": 3, "ب": 4, "aa": 5}, map[string]any{"b": 1, "a": 2, "B": 3, "ب": 4, "aa": 5}, nil},
		{"names and strings escaped", sdk.Data{"a\"<&>\u2028/": "x<&>\"\\\u2028\u0001 آ"}, map[string]any{"a\"<&>\u2028/": "x<&>\"\\\u2028\u0001 آ"}, nil},
		{"every kind of value", sdk.Data{"n": 1.5, "i": -3, "big": 1e21, "t": true, "z": nil, "l": []any{"a", 1, nil}, "m": map[string]any{"y": 1, "x": "2"}},
			map[string]any{"n": 1.5, "i": -3, "big": 1e21, "t": true, "z": nil, "l": []any{"a", 1, nil}, "m": map[string]any{"y": 1, "x": "2"}}, nil},
		{"a Data in a Data", sdk.Data{"in": sdk.Data{"b": "2", "a": "1"}}, map[string]any{"in": map[string]any{"b": "2", "a": "1"}}, nil},
		{"omitted when nil", meta{}, plainMeta{}, nil},
		{"omitted when empty", meta{sdk.Data{}}, plainMeta{map[string]any{}}, nil},
		{"in an action", sdk.GetDynamicAction(sdk.Data{"z": "1", "a": "2"}), map[string]any{"get_dynamic_action": map[string]any{"data": map[string]any{"z": "1", "a": "2"}}}, nil},
		{"invalid UTF-8 in a name", sdk.Data{"\xff": "x"}, map[string]any{"\xff": "x"}, nil},
		{"invalid UTF-8 in a value", sdk.Data{"a": "\xff"}, map[string]any{"a": "\xff"}, nil},
		{"invalid UTF-8 allowed", sdk.Data{"a": "\xff"}, map[string]any{"a": "\xff"}, []json.Options{jsontext.AllowInvalidUTF8(true)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]json.Options{json.Deterministic(true)}, tc.opts...)
			got, gotErr := json.Marshal(tc.data, opts...)
			want, wantErr := json.Marshal(tc.plain, opts...)
			if (gotErr != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
				t.Errorf("got  %s (%v)\nwant %s (%v)", got, gotErr, want, wantErr)
			}
		})
	}
}
