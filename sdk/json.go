package sdk

import (
	"io"
	"log/slog"

	"github.com/kenarkit/kenarkit/internal/validate"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"
)

// jsonSerializer is the echo.JSONSerializer kenarkit's server installs. It
// decodes with the semantics of Go's JSON v2: member names match exactly
// (echo's default, encoding/json, would bind "POST_TOKEN" to post_token
// after validation passed over it), a duplicated name, invalid UTF-8 or data
// after the value are errors. It encodes compactly, without HTML escaping
// and with sorted map keys, as [MarshalAnswer] does.
type jsonSerializer struct{}

var _ echo.JSONSerializer = jsonSerializer{}

// Serialize writes i as JSON to the response.
func (jsonSerializer) Serialize(c echo.Context, i any, indent string) error {
	opts := []json.Options{json.Deterministic(true)}
	if indent != "" {
		opts = append(opts, jsontext.WithIndent(indent))
	}
	return json.MarshalWrite(c.Response(), i, opts...)
}

// Deserialize reads the request body into i. Errors are a 400 [Problem]
// that names no value.
func (jsonSerializer) Deserialize(c echo.Context, i any) error {
	return decodeBody(c.Request().Body, i)
}

// decodeBody decodes body into i: a body the validator read decodes
// itself, from memory, its syntax checked once. A request type that keeps
// its body (see [rawKeeper]) gets a copy of the bytes it was decoded from,
// and its [RawData] members are views of that copy.
func decodeBody(body io.Reader, i any) error {
	k, keep := i.(rawKeeper)
	var opts []json.Options
	if keep {
		opts = append(opts, owned)
	}
	if b, ok := body.(*validate.Body); ok {
		kept, err := b.Decode(i, keep, opts...)
		if err != nil {
			return fromValidate(err)
		}
		if keep {
			k.keepRaw(kept)
		}
		return nil
	}
	data, err := io.ReadAll(body) // a route the validator does not read
	if err == nil {
		err = json.Unmarshal(data, i, opts...)
	}
	if err != nil {
		return fromValidate(validate.DecodeError(err))
	}
	if keep {
		k.keepRaw(data)
	}
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

// binder is the echo.Binder kenarkit's server installs. A body the
// validator has read (its media type checked, in any letter case) is
// decoded by the body itself; anything else is left to echo's
// DefaultBinder, whose media type check is case-sensitive. A value decoded
// leniently (an [Event]) whose members did not all fit is logged.
type binder struct{ logger *slog.Logger }

func (b binder) Bind(i any, c echo.Context) error {
	body, ok := c.Request().Body.(*validate.Body)
	if !ok {
		return new(echo.DefaultBinder).Bind(i, c)
	}
	if len(c.ParamNames()) > 0 {
		if err := new(echo.DefaultBinder).BindPathParams(c, i); err != nil {
			return err
		}
	}
	if body.Empty() {
		return nil // an optional body, absent
	}
	if err := decodeBody(body, i); err != nil {
		return err
	}
	if m, ok := i.(interface{ Mismatch() error }); ok && m.Mismatch() != nil {
		b.logger.LogAttrs(c.Request().Context(), slog.LevelWarn, "delivered with members left unset: they do not fit their types (see Event.Raw)",
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("route", c.Path()),
			slog.String("mismatch", m.Mismatch().Error()))
	}
	return nil
}
