package server

import (
	"io"
	"log/slog"

	"github.com/kenarkit/kenarkit/internal/jsonscan"
	"github.com/kenarkit/kenarkit/internal/validate"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/event"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"
)

// jsonSerializer is the echo.JSONSerializer kenarkit's server installs. It
// decodes with the semantics of Go's JSON v2: member names match exactly
// (echo's default, encoding/json, would bind "POST_TOKEN" to post_token
// after validation passed over it), a duplicated name, invalid UTF-8 or data
// after the value are errors. It encodes compactly, without HTML escaping
// and with sorted map keys, as [sdk.MarshalAnswer] does.
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

// Deserialize reads the request body into i, for a route outside the
// spec. Errors are a 400 [sdk.Problem] that names no value.
func (jsonSerializer) Deserialize(c echo.Context, i any) error {
	data, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return fromValidate(validate.DecodeError(err))
	}
	return decodeIndexed(data, nil, nil, i)
}

// decodeIndexed decodes a request body into i with [sdk.UnmarshalIndexed]
// (index and opts, if any); errors are a 400 [sdk.Problem] that names no
// value.
func decodeIndexed(data []byte, index *jsonscan.Index, opts json.Options, i any) error {
	var err error
	if opts == nil {
		err = sdk.UnmarshalIndexed(data, index, i)
	} else {
		err = sdk.UnmarshalIndexed(data, index, i, opts)
	}
	if err != nil {
		return fromValidate(validate.DecodeError(err))
	}
	return nil
}

// binder is the echo.Binder a [Server] installs: echo's DefaultBinder, as
// a binder of its own, so that the generated strict handlers bind through
// the context's Bind ("a custom binder is installed: defer to it"), which
// for a spec operation is the guard's [boundContext].
type binder struct{}

func (binder) Bind(i any, c echo.Context) error { return new(echo.DefaultBinder).Bind(i, c) }

// boundContext is the echo.Context the guard hands a spec operation's
// handler: its Bind decodes the body the validator has read (its media
// type checked, in any letter case), from memory, its syntax checked once.
// An [event.Event] whose members did not all fit is logged.
type boundContext struct {
	echo.Context
	body   *validate.Body // nil: an operation without a body
	logger *slog.Logger
}

func (c *boundContext) Bind(i any) error {
	if c.body == nil {
		return c.Context.Bind(i)
	}
	if len(c.ParamNames()) > 0 {
		if err := new(echo.DefaultBinder).BindPathParams(c, i); err != nil {
			return err
		}
	}
	if c.body.Empty() {
		return nil // an optional body, absent
	}
	data, index, opts, err := c.body.Data()
	if err != nil {
		return fromValidate(err)
	}
	if err := decodeIndexed(data, index, opts, i); err != nil {
		return err
	}
	if ev, ok := i.(*event.Event); ok && ev.Mismatch() != nil {
		c.logger.LogAttrs(c.Request().Context(), slog.LevelWarn, "delivered with members left unset: they do not fit their types (see Event.Raw)",
			slog.String("request_id", requestID(c)),
			slog.String("route", c.Path()),
			slog.String("mismatch", ev.Mismatch().Error()))
	}
	return nil
}
