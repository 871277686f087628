package sdk

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"
)

// JSONSerializer is the echo.JSONSerializer kenarkit's server installs. It
// decodes with the semantics of Go's JSON v2: member names match exactly
// (echo's default, encoding/json, would bind "POST_TOKEN" to post_token
// after validation passed over it), a duplicated name, invalid UTF-8 or data
// after the value are errors. It encodes compactly, without HTML escaping
// and with sorted map keys, as [MarshalAnswer] does.
type JSONSerializer struct{}

var _ echo.JSONSerializer = JSONSerializer{}

// decode reads body into i, straight from memory when the validator has
// read and checked it and nothing has read it since. A request type that
// keeps its body (see [rawKeeper]) gets a copy of the bytes it was decoded
// from.
func decode(body io.Reader, i any) error {
	k, keep := i.(rawKeeper)
	if b, ok := body.(*validBody); ok && b.checked {
		if data, ok := b.unread(); ok {
			if keep {
				data = bytes.Clone(data) // the pooled buffer outlives no request
				k.keepRaw(data)
				return json.Unmarshal(data, i, checkedOwned)
			}
			return json.Unmarshal(data, i, checked)
		}
	}
	if keep {
		data, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		k.keepRaw(data)
		return json.Unmarshal(data, i, owned)
	}
	return json.UnmarshalRead(body, i)
}

// owned decodes a body the request keeps a copy of: its [RawData] members
// (extra_data, provider_data) are views of that copy rather than copies of
// their own, so keeping the body costs one copy in all. (json.Unmarshal
// reads its input in place; TestRawDataSharesTheKeptBody pins it.)
var (
	owned = json.WithUnmarshalers(json.UnmarshalFromFunc(func(dec *jsontext.Decoder, d *RawData) error {
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		return d.view(v)
	}))
	checkedOwned = json.JoinOptions(checked, owned)
)

// rawKeeper is a request body type that keeps the whole body it was
// decoded from, for [OpenServerLinkRequest.Raw] and
// [DynamicActionRequest.Raw].
type rawKeeper interface{ keepRaw(body []byte) }

// checked decodes a body the validator has checked: its member names and
// UTF-8 need no second look. (Callback data is RawData, read as one value;
// in a map, allowing duplicate names would cost an allocation a member, to
// merge with an earlier one, which the few small maps of events can afford.)
var checked = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// Serialize writes i as JSON to the response.
func (JSONSerializer) Serialize(c echo.Context, i any, indent string) error {
	opts := []json.Options{json.Deterministic(true)}
	if indent != "" {
		opts = append(opts, jsontext.WithIndent(indent))
	}
	return json.MarshalWrite(c.Response(), i, opts...)
}

// Deserialize reads the request body into i. Errors are a 400 [Problem]
// that names no value.
func (JSONSerializer) Deserialize(c echo.Context, i any) error {
	err := decode(c.Request().Body, i)
	if err == nil {
		return nil
	}
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return badRequest("", "the request body is not valid JSON")
	}
	var se *json.SemanticError
	if errors.As(err, &se) && se.JSONPointer != "" {
		return badRequest(truncatePointer(string(se.JSONPointer)), "has the wrong type")
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	return syntaxProblem(err)
}

// inPlace decodes a []byte without copying it (a jsontext.Decoder reads a
// bytes.Buffer in place); it is meant to be recycled, with its decoder's
// state. Duplicate names are the user's to find: the validator finds them
// itself.
type inPlace struct {
	d  jsontext.Decoder
	in bytes.Buffer
}

// load points the decoder at b.
func (r *inPlace) load(b []byte) {
	r.in = *bytes.NewBuffer(b)
	r.d.Reset(&r.in, jsontext.AllowDuplicateNames(true))
}

// forget drops the decoder's reference to the bytes it read.
func (r *inPlace) forget() {
	r.in = bytes.Buffer{}
	r.d.Reset(&r.in)
}
