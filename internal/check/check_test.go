package check

import (
	"errors"
	"io"
	"slices"
	"testing"
	"unicode/utf8"
)

// TestAtAnchorsWhatAValueReported: Checker.At names the fields a nested
// Validate reported from the place the value sits in the answer, walking
// joined errors, and keeps an error that is not an answer's as it is.
func TestAtAnchorsWhatAValueReported(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want []string
	}{
		{"nothing wrong", nil, nil},
		{"a field of the value", Refuse("/url", "is empty"), []string{"/w/action/url: is empty"}},
		{"the value as a whole", Refuse("", "sets no kind"), []string{"/w/action: sets no kind"}},
		{"a pointer without a colon", Invalid("/url must be absolute"), []string{"/w/action/url must be absolute"}},
		{"joined", errors.Join(Refuse("/a", "x"), errors.Join(Refuse("/b", "y"))), []string{"/w/action/a: x", "/w/action/b: y"}},
		{"not an answer's error", io.EOF, []string{"EOF"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Checker
			c.At("/w/action", tc.err)
			var got []string
			for _, err := range c.Errs {
				var e *InvalidAnswerError
				if errors.As(err, &e) {
					got = append(got, e.Detail)
					if !errors.Is(err, ErrInvalidAnswer) {
						t.Errorf("%v is not ErrInvalidAnswer", err)
					}
				} else {
					got = append(got, err.Error())
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPathIsWrittenAsAPointer: a path written out is the RFC 6901 pointer
// of the field, names escaped, indexes in decimal, from any root.
func TestPathIsWrittenAsAPointer(t *testing.T) {
	root := Root("/receiver_buttons")
	rows := root.Name("rows")
	row := rows.Index(12)
	buttons := row.Name("buttons")
	button := buttons.Index(0)
	whole := Root("")
	odd := whole.Name("a/b~c")
	for _, tc := range []struct {
		name string
		p    Path
		want string
	}{
		{"the root", Root(""), ""},
		{"a written pointer", root, "/receiver_buttons"},
		{"a name", rows, "/receiver_buttons/rows"},
		{"an index", row, "/receiver_buttons/rows/12"},
		{"deep", button.Name("caption"), "/receiver_buttons/rows/12/buttons/0/caption"},
		{"a name escaped", odd, "/a~1b~0c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// runes counts as utf8.RuneCountInString and judges as utf8.ValidString,
// two-byte sequences included (the letters of Persian texts).
func TestRunes(t *testing.T) {
	for _, tc := range []struct{ name, s string }{
		{"empty", ""},
		{"ascii", "hello, world"},
		{"persian", "آیا مایلید ادامه دهید؟"},
		{"three and four bytes", "€ 😀"},
		{"U+FFFD itself", "\xef\xbf\xbd"},
		{"overlong two bytes", "\xc0\xaf\xc1\xbf"},
		{"a lead byte at the end", "ab\xd8"},
		{"a lead byte before ascii", "\xd8a"},
		{"a stray continuation", "a\x80b"},
		{"a surrogate", "\xed\xa0\x80"},
		{"invalid lead", "\xff\xfe"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkRunes(t, tc.s) })
	}
}

func FuzzRunes(f *testing.F) {
	for _, s := range []string{"", "abc", "سلام", "\xd8", "\xc1\xbf", "😀\x80"} {
		f.Add(s)
	}
	f.Fuzz(checkRunes)
}

func checkRunes(t *testing.T, s string) {
	n, valid := runes(s)
	if n != utf8.RuneCountInString(s) || valid != utf8.ValidString(s) {
		t.Fatalf("runes(%q) = %d, %v; want %d, %v", s, n, valid, utf8.RuneCountInString(s), utf8.ValidString(s))
	}
}
