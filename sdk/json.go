package sdk

import (
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

// Deserialize reads the request body into i: a body the validator read
// decodes itself (from memory, its syntax checked once). Errors are a 400
// [Problem] that names no value.
func (jsonSerializer) Deserialize(c echo.Context, i any) error {
	if b, ok := c.Request().Body.(*validate.Body); ok {
		if err := b.Decode(i); err != nil {
			return fromValidate(err)
		}
		return nil
	}
	if err := json.UnmarshalRead(c.Request().Body, i); err != nil {
		return fromValidate(validate.DecodeError(err))
	}
	return nil
}

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
	if err := body.Decode(i); err != nil {
		return fromValidate(err)
	}
	if m, ok := i.(interface{ Mismatch() error }); ok && m.Mismatch() != nil {
		b.logger.LogAttrs(c.Request().Context(), slog.LevelWarn, "delivered with members left unset: they do not fit their types (see Event.Raw)",
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("route", c.Path()),
			slog.String("mismatch", m.Mismatch().Error()))
	}
	return nil
}
