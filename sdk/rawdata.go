package sdk

import (
	"bytes"
	"errors"

	"github.com/kenarkit/kenarkit/internal/jsonscan"

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
	v, ok := d.member(key)
	if !ok || v[0] != '"' {
		return ""
	}
	return string(jsonscan.Unquote(v))
}

// Has reports whether d has a member key, whatever its value.
func (d RawData) Has(key string) bool {
	_, ok := d.member(key)
	return ok
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

// view is set without the copy: d shares v's bytes, capped so that an
// append to d cannot write into what follows.
func (d *RawData) view(v jsontext.Value) error {
	if v.Kind() == '{' {
		*d = RawData(v[:len(v):len(v)])
		return nil
	}
	return d.set(v)
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

// member returns the value of d's first top-level member named key.
//
// d is JSON a decoder has checked already (RawData comes from one), so
// member only finds its way: it jumps from quote to quote and bracket to
// bracket, and does not check again what it skips. On bytes that are not
// valid JSON it never panics, and what it finds is unspecified. This is
// what makes reading one member of a large extra_data cheap.
func (d RawData) member(key string) (jsontext.Value, bool) {
	i := skipSpace(d, 0)
	if i >= len(d) || d[i] != '{' {
		return nil, false
	}
	i = skipSpace(d, i+1)
	for i < len(d) && d[i] == '"' {
		nameEnd := stringEnd(d, i)
		if nameEnd < 0 {
			return nil, false
		}
		name := d[i:nameEnd]
		i = skipSpace(d, nameEnd)
		if i >= len(d) || d[i] != ':' {
			return nil, false
		}
		i = skipSpace(d, i+1)
		valueEnd := valueEnd(d, i)
		if valueEnd < 0 {
			return nil, false
		}
		if string(jsonscan.Unquote(jsontext.Value(name))) == key {
			return jsontext.Value(d[i:valueEnd]), true
		}
		i = skipSpace(d, valueEnd)
		if i >= len(d) || d[i] != ',' {
			return nil, false
		}
		i = skipSpace(d, i+1)
	}
	return nil, false
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && jsonscan.IsSpace(b[i]) {
		i++
	}
	return i
}

// stringEnd returns the index just past the string that opens at b[i]
// (a quote), or -1 if it is not closed.
func stringEnd(b []byte, i int) int {
	for j := i + 1; ; {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			return -1
		}
		j += q
		escapes := 0
		for k := j - 1; k > i && b[k] == '\\'; k-- {
			escapes++
		}
		j++
		if escapes%2 == 0 {
			return j
		}
	}
}

// valueEnd returns the index just past the value that starts at b[i], or
// -1 if there is none.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); {
			k := bytes.IndexAny(b[j:], `"{}[]`)
			if k < 0 {
				return -1
			}
			j += k
			switch b[j] {
			case '"':
				if j = stringEnd(b, j); j < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			default:
				if depth--; depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return -1
	default: // a number, true, false or null
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && !jsonscan.IsSpace(b[j]) {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}
