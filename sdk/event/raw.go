package event

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kenarkit/kenarkit/internal/refusal"
	"github.com/kenarkit/kenarkit/sdk"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Raw returns the event as Divar sent it, whole: read from it a field
// kenarkit does not type, or a payload that did not match its type (see
// [Event.Mismatch]). It is nil for an Event that was not decoded.
func (e *Event) Raw() sdk.RawData { return e.raw }

// Mismatch returns nil when every member of the event decoded into its
// typed field, and otherwise an error naming, by JSON pointer, each member
// that did not: that field is left unset (so a [Mux] gives the event
// to Other) and the member is still in [Event.Raw]. Divar documents events
// as experimental; an event is never refused for a field variance, because
// a refused event is lost.
func (e *Event) Mismatch() error { return e.mismatch }

// eventFields is Event without its methods, to decode its fields.
type eventFields Event

// UnmarshalJSONFrom decodes an event leniently: an object whose members
// all fit their fields decodes as usual; otherwise each member is decoded on
// its own, the ones that do not fit are left unset and named by
// [Event.Mismatch]. Only a value that is not a JSON object is an error.
func (e *Event) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	raw, err := d.ReadValue()
	if err != nil {
		return err
	}
	if raw.Kind() != '{' {
		return &json.SemanticError{JSONKind: raw.Kind(), GoType: nil, Err: errors.New("an event must be a JSON object")}
	}
	*e = Event{}
	opts := d.Options()
	if err := json.Unmarshal(raw, (*eventFields)(e), opts); err != nil {
		*e = Event{}
		e.mismatch = e.decodeMembers(raw, opts)
	}
	e.raw = sdk.RawData(slices.Clone(raw))
	return nil
}

// UnmarshalJSON is [Event.UnmarshalJSONFrom] for encoding/json (json v2
// calls UnmarshalJSONFrom, which it prefers).
func (e *Event) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, e) }

// decodeMembers decodes each member of the object raw into its field,
// leaving unset the ones that do not fit, and names those.
func (e *Event) decodeMembers(raw jsontext.Value, opts json.Options) error {
	var members []string
	var values []jsontext.Value
	dec := jsontext.NewDecoder(strings.NewReader(string(raw)), opts, jsontext.AllowDuplicateNames(true))
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		name := tok.String() // before the next read voids tok
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		members = append(members, name)
		values = append(values, slices.Clone(v))
	}
	var bad []string
	for i, name := range members {
		one, _ := json.Marshal(map[string]jsontext.Value{name: values[i]})
		if err := json.Unmarshal(one, (*eventFields)(e), opts); err != nil {
			reset, _ := json.Marshal(map[string]any{name: nil})
			_ = json.Unmarshal(reset, (*eventFields)(e), opts)
			bad = append(bad, pointerTo(name, err))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("event: members that do not match their types: %s", strings.Join(bad, ", "))
}

// pointerTo names where err happened inside the member name.
func pointerTo(name string, err error) string {
	var se *json.SemanticError
	if errors.As(err, &se) && se.JSONPointer != "" {
		return refusal.TruncatePointer(string(se.JSONPointer))
	}
	return refusal.Pointer([]string{name})
}
