// Package jsonscan holds the few JSON byte-level primitives that kenarkit's
// validator and sdk.RawData share, so that both read JSON the same way.
package jsonscan

import (
	"bytes"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Unquote returns the content of a JSON string, without allocating when it
// has no escape.
func Unquote(raw jsontext.Value) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil // not reached: the decoder checked the string
	}
	return []byte(s)
}

// IsSpace reports whether c is JSON whitespace.
func IsSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// Span is where a piece of JSON text lies in the text: text[Start:End].
type Span struct{ Start, End int }

// Of returns the bytes of s in text.
func (s Span) Of(text []byte) []byte { return text[s.Start:s.End] }

// Member is one member of a JSON object: its name, quoted as it appears in
// the text, and its value.
type Member struct{ Name, Value Span }

// Index lists the top-level members of one JSON object, in order, as the
// validator found them in its one pass over the text: the object is then
// known to be valid JSON, with no duplicated member name and no invalid
// UTF-8, so a decoder can take each value from its span instead of
// reading the text again. Only the validator builds one (an add-on cannot
// name this package), so a decoder given an Index may trust the text it
// describes; nil is no index.
type Index struct{ members []Member }

// Add appends m.
func (x *Index) Add(m Member) { x.members = append(x.members, m) }

// Members returns the members, in the order of the text.
func (x *Index) Members() []Member { return x.members }

// Reset empties x, keeping its memory unless it is large (an object of
// more than maxKept members), which is left to the garbage collector.
func (x *Index) Reset() {
	if cap(x.members) > maxKept {
		x.members = nil
	}
	x.members = x.members[:0]
}

const maxKept = 1024
