package sdk

import (
	"bytes"
	"errors"
	"reflect"
	"strings"

	"github.com/kenarkit/kenarkit/internal/jsonscan"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Unmarshal decodes data, a JSON body as Divar sends it, into v, as
// kenarkit's server decodes every callback: with the semantics of Go's
// JSON v2 (member names matched exactly; a duplicated name, invalid UTF-8
// or data after the value are errors) and opts. An
// [*OpenServerLinkRequest] or [*DynamicActionRequest] keeps a copy of data
// as its Raw, and its [RawData] members are views of that copy; an
// *event.Event decodes leniently (its Mismatch method). data itself is not
// kept.
// Use it in a test to build a request from a body Divar sent:
//
//	var req sdk.OpenServerLinkRequest
//	err := sdk.Unmarshal(seed, &req) // req.Raw() is the whole body
func Unmarshal(data []byte, v any, opts ...json.Options) error {
	k, keep := v.(rawKeeper)
	if !keep {
		return json.Unmarshal(data, v, opts...)
	}
	data = bytes.Clone(data)
	if err := json.Unmarshal(data, v, append(opts, owned)...); err != nil {
		return err
	}
	k.keepRaw(data)
	return nil
}

// owned decodes a body the request keeps a copy of: its [RawData] members
// (extra_data, provider_data) are views of that copy rather than copies of
// their own, so keeping the body costs one copy in all. (json.Unmarshal
// reads its input in place; TestRawDataSharesTheKeptBody pins it.)
var owned = json.WithUnmarshalers(json.UnmarshalFromFunc(func(dec *jsontext.Decoder, d *RawData) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return d.view(v)
}))

// rawKeeper is a request body type that keeps the whole body it was
// decoded from, for [OpenServerLinkRequest.Raw] and
// [DynamicActionRequest.Raw].
type rawKeeper interface{ keepRaw(body []byte) }

// UnmarshalIndexed is [Unmarshal] for kenarkit's server, which has read
// data once already, to validate it: index, when not nil, lists data's
// top-level members as that pass found them (data is then one JSON object
// with no duplicated member name and no invalid UTF-8), and an
// [*OpenServerLinkRequest] or [*DynamicActionRequest] takes each member's
// value from its place in the index instead of reading data again, with
// the same result as Unmarshal. Only the server can make an index; with
// nil, or another type, it is Unmarshal.
func UnmarshalIndexed(data []byte, index *jsonscan.Index, v any, opts ...json.Options) error {
	if r, ok := v.(indexedRequest); ok && index != nil {
		return decodeIndexed(data, index.Members(), r)
	}
	return Unmarshal(data, v, opts...)
}

// indexedRequest is a request type [UnmarshalIndexed] decodes from an
// index: field says where the member name goes, a string or a RawData
// (neither: the member is not one of its fields, and is skipped as
// Unmarshal skips it).
type indexedRequest interface {
	rawKeeper
	field(name []byte) (*string, *RawData)
}

// decodeIndexed decodes the members of data into r as Unmarshal would:
// r keeps a copy of data, its RawData members are views of that copy, and
// its strings share one allocation.
func decodeIndexed(data []byte, members []jsonscan.Member, r indexedRequest) error {
	data = bytes.Clone(data)
	size := 0
	for _, m := range members {
		if v := m.Value.Of(data); v[0] == '"' {
			size += len(v) - 2 // an escape only shortens it
		}
	}
	var text strings.Builder
	text.Grow(size)
	type pending struct {
		to         *string
		start, end int
	}
	strs := make([]pending, 0, 8)
	for _, m := range members {
		name := jsonscan.Unquote(m.Name.Of(data))
		str, raw := r.field(name)
		if str == nil && raw == nil {
			continue
		}
		v := jsontext.Value(m.Value.Of(data))
		var err error
		switch {
		case v[0] == 'n': // null: the zero value
		case raw != nil:
			err = raw.view(v)
		case v[0] == '"':
			start := text.Len()
			text.Write(jsonscan.Unquote(v))
			strs = append(strs, pending{str, start, text.Len()})
		default:
			err = errNotString
		}
		if err != nil {
			return &json.SemanticError{JSONPointer: jsontext.Pointer("/" + string(name)), JSONKind: v.Kind(), GoType: fieldType(str), Err: err}
		}
	}
	all := text.String()
	for _, p := range strs {
		*p.to = all[p.start:p.end]
	}
	r.keepRaw(data)
	return nil
}

// errNotString is what decoding a string field from another JSON kind says.
var errNotString = errors.New("sdk: must be a JSON string or null")

func fieldType(str *string) reflect.Type {
	if str != nil {
		return reflect.TypeFor[string]()
	}
	return reflect.TypeFor[RawData]()
}
