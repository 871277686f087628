package sdk

import (
	"bytes"
	"errors"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// RawData is the data of a callback (extra_data, provider_data): the JSON
// object the add-on put in an action's "data", as Divar sent it back. It
// is kept as its bytes and read on demand, so that a callback costs nothing
// for data its handler does not look at:
//
//	answer := req.Body.Data().String("answer")
//
//	var step struct{ Step int `json:"step"` }
//	err := req.Body.Data().Decode(&step)
//
// An empty RawData (Divar sent no data, or null) reads as an empty object.
// It holds a JSON object or nothing; decoding anything else fails.
type RawData []byte

// errDataNotObject is what decoding a RawData from a non-object says.
var errDataNotObject = errors.New("sdk: data must be a JSON object or null")

// String returns the member key of d if it is a JSON string, and ""
// otherwise (no such member, another type, or d is not valid JSON).
func (d RawData) String(key string) string {
	var s string
	d.member(key, func(v jsontext.Value) {
		if v.Kind() == '"' {
			s = string(unquote(v))
		}
	})
	return s
}

// Has reports whether d has a member key, whatever its value.
func (d RawData) Has(key string) bool {
	found := false
	d.member(key, func(jsontext.Value) { found = true })
	return found
}

// Decode stores d in the value pointed to by v, typically a struct with
// json tags, matching member names exactly. An empty d decodes as {}. It
// fails when a member has the wrong type for its field.
func (d RawData) Decode(v any) error {
	if len(d) == 0 {
		return json.Unmarshal([]byte("{}"), v)
	}
	return json.Unmarshal(d, v)
}

// Map returns d decoded as a [Data]: never nil, empty if d is.
func (d RawData) Map() Data {
	m := Data{}
	if len(d) > 0 {
		_ = json.Unmarshal(d, &m) // d came in as an object; if it was altered, what decodes is kept
	}
	return m
}

// MarshalJSONTo writes d, or null when it is empty.
func (d RawData) MarshalJSONTo(enc *jsontext.Encoder) error {
	if len(d) == 0 {
		return enc.WriteToken(jsontext.Null)
	}
	return enc.WriteValue(jsontext.Value(d))
}

// UnmarshalJSONFrom reads an object (kept as its bytes) or null (empty).
func (d *RawData) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return d.set(v)
}

// MarshalJSON is [RawData.MarshalJSONTo] for encoding/json.
func (d RawData) MarshalJSON() ([]byte, error) {
	if len(d) == 0 {
		return []byte("null"), nil
	}
	return d, nil
}

// UnmarshalJSON is [RawData.UnmarshalJSONFrom] for encoding/json.
func (d *RawData) UnmarshalJSON(b []byte) error {
	return d.set(jsontext.Value(bytes.TrimSpace(b)))
}

func (d *RawData) set(v jsontext.Value) error {
	switch v.Kind() {
	case 'n':
		*d = nil
	case '{':
		*d = append(RawData(nil), v...)
	default:
		return errDataNotObject
	}
	return nil
}

// member calls f with the value of d's top-level member key, if there is
// one; the value is valid during the call only.
func (d RawData) member(key string, f func(jsontext.Value)) {
	if len(d) == 0 {
		return
	}
	r := dataReaders.Get().(*inPlace)
	defer func() { r.forget(); dataReaders.Put(r) }()
	r.load(d)
	if tok, err := r.d.ReadToken(); err != nil || tok.Kind() != '{' {
		return
	}
	for r.d.PeekKind() == '"' {
		name, err := r.d.ReadValue()
		if err != nil {
			return
		}
		if string(unquote(name)) != key {
			if r.d.SkipValue() != nil {
				return
			}
			continue
		}
		if v, err := r.d.ReadValue(); err == nil {
			f(v)
		}
		return
	}
}

// dataReaders recycles the decoders that read RawData in place.
var dataReaders = sync.Pool{New: func() any { return new(inPlace) }}
