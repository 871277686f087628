// Package refusal holds the texts of kenarkit's refusals that the
// vocabulary (sdk.Problem) and the validator engine share, with nothing
// but the standard library under them: the failing field, the wording of
// a refusal, and RFC 6901 JSON pointers kept short.
package refusal

import (
	"fmt"
	"strings"
)

// FieldError is one failing field of a request: a JSON pointer into the
// body (RFC 6901), or the name of a header, and what is wrong with it.
type FieldError struct {
	Pointer string `json:"pointer,omitempty"`
	Header  string `json:"header,omitempty"`
	Detail  string `json:"detail"`
}

// String returns "pointer: detail" or "header NAME: detail".
func (e FieldError) String() string {
	switch {
	case e.Header != "":
		return "header " + e.Header + ": " + e.Detail
	case e.Pointer != "":
		return e.Pointer + ": " + e.Detail
	}
	return e.Detail
}

// Format words a refusal as an error text: "status title: detail: field;
// field", naming the fields but no values.
func Format(status int, title, detail string, errs []FieldError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", status, title)
	if detail != "" {
		b.WriteString(": " + detail)
	}
	for i, e := range errs {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(e.String())
	}
	return b.String()
}

// TruncatePointer keeps a JSON pointer short: its segments are names sent
// by the client, and a problem must not echo a megabyte back.
func TruncatePointer(p string) string {
	const max = 256
	if len(p) <= max {
		return p
	}
	cut := max
	for cut > 0 && p[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return p[:cut] + "…"
}

// pointerEscaper escapes a JSON pointer's segment (RFC 6901).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// Pointer renders path as an RFC 6901 JSON pointer, kept short.
func Pointer(path []string) string {
	var b strings.Builder
	for _, seg := range path {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(seg))
	}
	return TruncatePointer(b.String())
}
