// Package check holds what the vocabulary (sdk) and the widgets
// (sdk/widget) share to check an answer against Divar's limits before it
// is sent: the error every broken rule is, and a checker that collects
// every broken rule of an answer, not just the first. It uses the standard
// library alone.
package check

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrInvalidAnswer: an action or an answer that Divar would reject.
var ErrInvalidAnswer = errors.New("sdk: answer Divar would reject")

// InvalidAnswerError is one rule of Divar's that an action, an answer, a
// widget or a message breaks. Detail names the field by JSON pointer and
// the rule ("/message: longer than 4096 characters"), never its value. It
// is [ErrInvalidAnswer]; a Validate method joins one for each failing
// field (errors.As finds the first, or walk the errors.Join).
type InvalidAnswerError struct{ Detail string }

func (e *InvalidAnswerError) Error() string { return ErrInvalidAnswer.Error() + ": " + e.Detail }

// Is reports whether target is [ErrInvalidAnswer].
func (e *InvalidAnswerError) Is(target error) bool { return target == ErrInvalidAnswer }

// Invalid returns an [*InvalidAnswerError] whose Detail is formatted.
func Invalid(format string, args ...any) error {
	return &InvalidAnswerError{Detail: fmt.Sprintf(format, args...)}
}

// Refuse returns a field's error: "pointer: rule".
func Refuse(pointer, format string, args ...any) error {
	return Invalid("%s%s", Prefix(pointer), fmt.Sprintf(format, args...))
}

// Prefix is "pointer: ", or "" for the root.
func Prefix(pointer string) string {
	if pointer == "" {
		return ""
	}
	return pointer + ": "
}

// EscapePointer escapes a JSON-pointer token (RFC 6901).
func EscapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// Path is a JSON pointer that is written out only when a rule fails: a
// pointer already written ([Root]), or a parent path and one token after
// it, a member's name ([Path.Name]) or an array index ([Path.Index]). Paths
// live on the stack, so checking a field that is valid costs no string:
//
//	rows := check.Root("/buttons")
//	row := rows.Index(i)
//	c.TextAt(row.Name("caption"), caption, 1, 256)
type Path struct {
	up    *Path
	token string // the member's name; at the root, the written pointer
	index int    // the array index, when token is "" below the root
}

// Root is the path of a pointer already written ("" for the whole value).
func Root(pointer string) Path { return Path{token: pointer} }

// Name is the path of the member name of the value at p.
func (p *Path) Name(name string) Path { return Path{up: p, token: name} }

// Index is the path of item i of the array at p.
func (p *Path) Index(i int) Path { return Path{up: p, index: i} }

// String writes the pointer out (RFC 6901, names escaped).
func (p Path) String() string { return string(p.append(nil)) }

func (p *Path) append(b []byte) []byte {
	if p.up == nil {
		return append(b, p.token...)
	}
	b = append(p.up.append(b), '/')
	if p.token == "" {
		return strconv.AppendInt(b, int64(p.index), 10)
	}
	return append(b, EscapePointer(p.token)...)
}

// Checker collects every problem of an answer, not just the first.
type Checker struct{ Errs []error }

// Add records that the field at pointer breaks a rule.
func (c *Checker) Add(pointer, format string, args ...any) {
	c.Errs = append(c.Errs, Refuse(pointer, format, args...))
}

// AddAt is [Checker.Add] at a path, written out only here.
func (c *Checker) AddAt(p Path, format string, args ...any) {
	c.Add(p.String(), format, args...)
}

// At records err, what a Validate method reported with pointers from its
// own value, as found at pointer: "/url: …" becomes "pointer/url: …", a
// rule of the whole value "pointer: …". Errors joined in err are walked.
func (c *Checker) At(pointer string, err error) {
	switch e := err.(type) {
	case nil:
	case interface{ Unwrap() []error }:
		for _, err := range e.Unwrap() {
			c.At(pointer, err)
		}
	case *InvalidAnswerError:
		if strings.HasPrefix(e.Detail, "/") {
			c.Errs = append(c.Errs, Invalid("%s%s", pointer, e.Detail))
		} else {
			c.Errs = append(c.Errs, Invalid("%s%s", Prefix(pointer), e.Detail))
		}
	default:
		c.Errs = append(c.Errs, err)
	}
}

// Text checks a text's length in characters, as Divar counts them.
func (c *Checker) Text(pointer, s string, min, max int) { c.TextAt(Root(pointer), s, min, max) }

// TextAt is [Checker.Text] at a path.
func (c *Checker) TextAt(p Path, s string, min, max int) {
	n, valid := runes(s)
	if !valid {
		c.AddAt(p, "is not valid UTF-8")
		return
	}
	switch {
	case n < min && n == 0:
		c.AddAt(p, "is empty")
	case n < min:
		c.AddAt(p, "shorter than %d characters", min)
	case n > max:
		c.AddAt(p, "longer than %d characters (%d)", max, n)
	}
}

// runes counts the characters of s as utf8.RuneCountInString does and
// reports whether s is valid UTF-8, in one pass: a two-byte sequence (the
// Persian and Arabic letters) is judged without decoding it.
func runes(s string) (n int, valid bool) {
	valid = true
	for i := 0; i < len(s); n++ {
		switch c := s[i]; {
		case c < utf8.RuneSelf:
			i++
		case c >= 0xc2 && c <= 0xdf && i+1 < len(s) && s[i+1]&0xc0 == 0x80:
			i += 2
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				valid = false
			}
			i += size
		}
	}
	return n, valid
}

// Icon checks an icon's name: Divar's icons are named in capitals, digits
// and underscores (DivarIconsIconName).
func (c *Checker) Icon(pointer, name string) { c.IconAt(Root(pointer), name) }

// IconAt is [Checker.Icon] at a path.
func (c *Checker) IconAt(p Path, name string) {
	if name == "" {
		return
	}
	if len(name) > 64 || !iconName(name) {
		c.AddAt(p, "%q is not a Divar icon name (capitals, digits and _, like ADD)", name)
	}
}

func iconName(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; !('A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_') {
			return false
		}
	}
	return true
}
