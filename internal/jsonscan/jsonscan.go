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
