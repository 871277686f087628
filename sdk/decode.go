package sdk

import (
	"bytes"

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
